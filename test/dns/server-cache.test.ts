import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Authority } from '../../src/dns/authority.js';
import { startServer, UDP_AMPLIFICATION, type RunningServer } from '../../src/dns/server.js';
import { udpKey as keyOf } from '../../src/dns/udp-answers.js';
import { parseZone } from '../../src/dns/zonefile.js';
import { TEST_ZONE } from '../support/zone.js';

/**
 * The UDP answer cache (udp-answers.ts): a cached answer, patched with the query's ID and
 * question octets, must be byte for byte what the full path (decode, look up, encode)
 * answers to the same packet. The reference server gets an onQuery callback, which turns
 * the cached path off.
 */
const ZONE = `${TEST_ZONE}h IN TYPE97 \\# 2 abcd
*.wild IN A 10.9.9.9
`;

interface Shape {
  id: number;
  name: string;
  type: number;
  rd?: boolean;
  /** EDNS payload size; absent: no OPT */
  edns?: number;
  do?: boolean;
  version?: number;
  cookie?: boolean;
}

/** A query packet built by hand, so every field of the shape is under the test's control. */
function packet(s: Shape): Buffer {
  const labels = s.name.split('.').map((l) => Buffer.from(l, 'latin1'));
  const name = Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
  const opt = s.edns === undefined ? Buffer.alloc(0) : Buffer.alloc(11 + (s.cookie ? 12 : 0));
  if (s.edns !== undefined) {
    opt.writeUInt16BE(41, 1);
    opt.writeUInt16BE(s.edns, 3);
    opt[6] = s.version ?? 0;
    opt[7] = s.do ? 0x80 : 0;
    if (s.cookie) {
      opt.writeUInt16BE(12, 9);
      opt.writeUInt16BE(10, 11);
      opt.writeUInt16BE(8, 13);
      opt.fill(0x5a, 15);
    }
  }
  const head = Buffer.alloc(12);
  head.writeUInt16BE(s.id, 0);
  head[2] = s.rd ? 1 : 0;
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(s.edns === undefined ? 0 : 1, 10);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(s.type, 0);
  q.writeUInt16BE(1, 2);
  return Buffer.concat([head, name, q, opt]);
}

function ask(port: number, p: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('no answer within 2 s'));
    }, 2000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(p, port, '127.0.0.1');
  });
}

/** Each letter of the name in the other case at the positions `pattern` selects. */
function recase(name: string, pattern: number): string {
  return [...name].map((c, i) => ((pattern >> i % 16) & 1 ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join('');
}

const udpKey = (query: Buffer) => keyOf(query, UDP_AMPLIFICATION);

describe('embedded server: cached UDP answers', () => {
  let fast: RunningServer;
  let reference: RunningServer;
  const authority = () => new Authority('example.com', parseZone(ZONE, 'example.com').records);
  before(async () => {
    fast = await startServer(authority(), { host: '127.0.0.1', port: 0 });
    reference = await startServer(authority(), { host: '127.0.0.1', port: 0, onQuery: () => undefined });
  });
  after(async () => {
    await fast.close();
    await reference.close();
  });

  const probes: Shape[] = [
    { id: 0, name: '_etcd-server._tcp.coreos.example.com', type: 33 },
    { id: 0, name: '_etcd-server._tcp.coreos.example.com', type: 33, edns: 1232 },
    { id: 0, name: '_etcd-server._tcp.coreos.example.com', type: 33, edns: 1232, cookie: true },
    { id: 0, name: '_etcd-server._tcp.coreos.example.com', type: 33, edns: 1232, do: true, rd: true },
    { id: 0, name: 'alias.coreos.example.com', type: 1, edns: 4096 },
    { id: 0, name: 'nope.coreos.example.com', type: 1 },
    { id: 0, name: 'x.wild.example.com', type: 1, edns: 1232 },
    { id: 0, name: 'big.example.com', type: 16 },
    { id: 0, name: 'big.example.com', type: 16, edns: 4096 },
    { id: 0, name: 'big.example.com', type: 16, edns: 4096, cookie: true },
    { id: 0, name: 'node1.coreos.example.com', type: 1, edns: 1232, version: 1 },
    { id: 0, name: 'www.example.org', type: 1 },
    // QTYPE 97 and 65 differ only in the 0x20 bit of one octet: case folding must not reach them
    { id: 0, name: 'h.example.com', type: 97 },
    { id: 0, name: 'h.example.com', type: 65 },
    // octets of 0xC0–0xDE and 0xE0–0xFE are different names, not case variants
    { id: 0, name: '\xc9.example.com', type: 1 },
    { id: 0, name: '\xe9.example.com', type: 1 },
  ];

  it('answers every probe, asked twice in different case and ID, exactly as the uncached path', async () => {
    for (const [i, probe] of probes.entries()) {
      for (const round of [0, 1, 2]) {
        const p = packet({ ...probe, id: 1000 + i * 3 + round, name: recase(probe.name, round === 0 ? 0 : 0x5a5a * round) });
        const [got, want] = [await ask(fast.port, p), await ask(reference.port, p)];
        assert.deepEqual(got, want, `${probe.name} type ${probe.type} ${JSON.stringify(probe)} round ${round}`);
        assert.equal(got.readUInt16BE(0), p.readUInt16BE(0));
      }
    }
  });

  it('keys a plain query by its folded question and EDNS shape, and leaves other shapes to the decoder', () => {
    const a = udpKey(packet({ id: 1, name: 'Node1.Example.com', type: 1, edns: 1232 }));
    assert.ok(a !== null);
    assert.equal(udpKey(packet({ id: 2, name: 'nODE1.example.COM', type: 1, edns: 1232 })), a);
    assert.notEqual(udpKey(packet({ id: 1, name: 'node1.example.com', type: 1, edns: 1232, do: true })), a);
    assert.notEqual(udpKey(packet({ id: 1, name: 'node1.example.com', type: 1 })), a);
    assert.notEqual(udpKey(packet({ id: 1, name: 'h.example.com', type: 65 })), udpKey(packet({ id: 1, name: 'h.example.com', type: 97 })));
    assert.equal(udpKey(packet({ id: 1, name: '\xc9.example.com', type: 1 })), null);
    const response = packet({ id: 1, name: 'node1.example.com', type: 1 });
    response[2]! |= 0x80;
    assert.equal(udpKey(response), null);
    assert.equal(udpKey(Buffer.concat([packet({ id: 1, name: 'node1.example.com', type: 1 }), Buffer.from([0])])), null, 'trailing octets');
  });

  it('forgets cached answers when the zone is swapped', async () => {
    const p = packet({ id: 7, name: 'node3.coreos.example.com', type: 1, edns: 1232 });
    const before = await ask(fast.port, p);
    assert.equal(before.readUInt16BE(6), 1);
    assert.ok(before.includes(Buffer.from([10, 0, 0, 3])));
    fast.swap(new Authority('example.com', parseZone(ZONE.replace('10.0.0.3', '10.0.0.33'), 'example.com').records));
    const after = await ask(fast.port, p);
    assert.ok(after.includes(Buffer.from([10, 0, 0, 33])), 'the swapped zone is served');
    fast.swap(authority());
  });
});
