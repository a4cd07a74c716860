import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { decodeMessage, encodeQuery, TYPE } from '../../src/dns/codec.js';
import type { RunningServer } from '../../src/dns/server.js';
import { dig } from '../support/dig.js';
import { serveText } from '../support/zone.js';

function udpExchange(port: number, packet: Buffer, waitMs = 500): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(null);
    }, waitMs);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(packet, port, '127.0.0.1');
  });
}

describe('embedded authoritative server (queried with dig)', () => {
  let server: RunningServer;
  before(async () => {
    server = await serveText();
  });
  after(() => server.close());

  for (const transport of ['+notcp', '+tcp']) {
    it(`answers SRV with aa over ${transport === '+tcp' ? 'TCP' : 'UDP'}`, async () => {
      const r = await dig('127.0.0.1', server.port, '_etcd-server._tcp.coreos.example.com', 'SRV', [transport]);
      assert.equal(r.status, 'NOERROR');
      assert.ok(r.flags.includes('aa'), r.raw);
      assert.ok(!r.flags.includes('ra'), 'it is no resolver');
      assert.deepEqual(r.answers.map((a) => a.rdata).sort(), ['0 0 2380 node1.coreos.example.com.', '0 0 2380 node2.coreos.example.com.', '10 5 2380 node3.coreos.example.com.']);
      assert.ok(r.answers.every((a) => a.ttl === 300));
    });
  }

  it('NXDOMAIN with the SOA in authority, its TTL capped by the SOA minimum', async () => {
    const r = await dig('127.0.0.1', server.port, 'nope.coreos.example.com', 'A');
    assert.equal(r.status, 'NXDOMAIN');
    assert.ok(r.flags.includes('aa'));
    assert.equal(r.authority[0]?.type, 'SOA');
    assert.equal(r.authority[0]?.ttl, 120);
  });

  it('NODATA for an existing name or an empty non-terminal', async () => {
    for (const name of ['node2.coreos.example.com', '_tcp.coreos.example.com', 'coreos.example.com']) {
      const r = await dig('127.0.0.1', server.port, name, 'AAAA');
      assert.equal(r.status, 'NOERROR', name);
      assert.equal(r.answers.length, 0, name);
      assert.equal(r.authority[0]?.type, 'SOA', name);
    }
  });

  it('REFUSED outside its zone: it is no open resolver', async () => {
    const r = await dig('127.0.0.1', server.port, 'www.example.org', 'A', ['+rec']);
    assert.equal(r.status, 'REFUSED');
    assert.equal(r.answers.length, 0);
  });

  it('answers a CNAME with the target records from its zone', async () => {
    const r = await dig('127.0.0.1', server.port, 'alias.coreos.example.com', 'A');
    assert.deepEqual(r.answers.map((a) => `${a.type} ${a.rdata}`), ['CNAME node1.coreos.example.com.', 'A 10.0.0.1']);
  });

  it('sets TC on a UDP answer larger than the client takes, and TCP carries it whole', async () => {
    const udp = await dig('127.0.0.1', server.port, 'big.example.com', 'TXT', ['+ignore', '+noedns']);
    assert.ok(udp.flags.includes('tc'), udp.raw);
    assert.equal(udp.answers.length, 0, 'a truncated answer carries no records: nothing to amplify');
    const tcp = await dig('127.0.0.1', server.port, 'big.example.com', 'TXT', ['+tcp']);
    assert.equal(tcp.answers.length, 2);
  });

  it('answers FORMERR to garbage that has an ID, ignores shorter garbage, and keeps serving', async () => {
    const garbage = Buffer.from('12340000000100000000000003616263', 'hex'); // qdcount 1, truncated question
    const reply = await udpExchange(server.port, garbage);
    assert.ok(reply, 'expected a reply');
    assert.equal(reply.readUInt16BE(0), 0x1234);
    assert.equal(reply[3]! & 0x0f, 1, 'FORMERR');
    assert.equal(await udpExchange(server.port, Buffer.from([1, 2, 3]), 200), null);
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.alloc(12 + (i % 40), i);
      junk[2] = 0; // a query, not a response
      await udpExchange(server.port, junk, 50);
    }
    const r = await dig('127.0.0.1', server.port, 'node1.coreos.example.com', 'A');
    assert.deepEqual(r.answers.map((a) => a.rdata), ['10.0.0.1']);
  });

  it('never answers a packet that is itself a response (no reflection loops)', async () => {
    const q = encodeQuery(77, 'node1.coreos.example.com', TYPE.A!, { rd: false });
    q[2] = q[2]! | 0x80;
    assert.equal(await udpExchange(server.port, q, 200), null);
  });

  it('answers several queries on one TCP connection', async () => {
    const replies = await new Promise<number[]>((resolve, reject) => {
      const sock = connect(server.port, '127.0.0.1');
      const frames = [1, 2, 3].map((id) => {
        const q = encodeQuery(id, `node${id}.coreos.example.com`, TYPE.A!, { rd: false });
        const f = Buffer.alloc(q.length + 2);
        f.writeUInt16BE(q.length);
        q.copy(f, 2);
        return f;
      });
      let buf = Buffer.alloc(0);
      const ids: number[] = [];
      sock.on('connect', () => sock.write(Buffer.concat(frames)));
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const len = buf.readUInt16BE(0);
          ids.push(decodeMessage(buf.subarray(2, 2 + len)).id);
          buf = buf.subarray(2 + len);
        }
        if (ids.length === 3) {
          sock.destroy();
          resolve(ids);
        }
      });
      sock.on('error', reject);
    });
    assert.deepEqual(replies, [1, 2, 3]);
  });

  it('serves a swapped zone at once', async () => {
    const { Authority } = await import('../../src/dns/authority.js');
    const { parseZone } = await import('../../src/dns/zonefile.js');
    const { TEST_ZONE } = await import('../support/zone.js');
    server.swap(new Authority('example.com', parseZone(TEST_ZONE.replace('10.0.0.3', '10.0.0.33'), 'example.com').records));
    const r = await dig('127.0.0.1', server.port, 'node3.coreos.example.com', 'A');
    assert.deepEqual(r.answers.map((a) => a.rdata), ['10.0.0.33']);
  });
});
