import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authority } from '../../src/dns/authority.js';
import { decodeMessage, encodeQuery, encodeResponse, MessageWriter, nameWire, TYPE, type DecodedRec, type Message } from '../../src/dns/codec.js';
import type { RunningServer } from '../../src/dns/server.js';
import { parseZone } from '../../src/dns/zonefile.js';
import { rec } from '../../src/records/record.js';
import { srvctl } from '../support/run.js';
import { serveText } from '../support/zone.js';

/**
 * Issue 10: Go's DNS parser (etcd, etcdctl) rejects a whole message whose SRV target is
 * compressed. srvctl never sends one, and reports a nameserver that does.
 */
const ZONE = `$ORIGIN example.com.
$TTL 300
@ 3600 IN SOA ns1.example.com. hostmaster.example.com. 7 3600 600 604800 120
@ 3600 IN NS ns1
ns1 IN A 127.0.0.1
_etcd-server-ssl._tcp IN SRV 0 0 2380 node1
_etcd-server-ssl._tcp IN SRV 0 0 2380 node2
_etcd-server-ssl._tcp IN SRV 0 0 2380 node3
_etcd-client._tcp IN SRV 0 0 2379 node1
node1 IN A 10.0.0.1
node2 IN A 10.0.0.2
node3 IN A 10.0.0.3
mail IN MX 10 node1
`;

const MANIFEST = ['version: 1', 'cluster: proof', 'domain: example.com', 'etcd:', '  version: "3.4"', '  tls: true', '  token: t1', 'members:', ...[1, 2, 3].map((n) => `  - {name: node${n}, host: node${n}.example.com}`), ''].join('\n');

/** Walks a message by hand (no srvctl decoder): each answer's type and raw rdata. */
function rawAnswers(buf: Buffer): { type: number; rdata: Buffer; ownerIsPointer: boolean }[] {
  const skipName = (o: number): number => {
    for (;;) {
      const l = buf[o]!;
      if (l === 0) return o + 1;
      if ((l & 0xc0) === 0xc0) return o + 2;
      o += 1 + l;
    }
  };
  let o = 12;
  for (let i = 0; i < buf.readUInt16BE(4); i++) o = skipName(o) + 4;
  const out: { type: number; rdata: Buffer; ownerIsPointer: boolean }[] = [];
  for (let i = 0; i < buf.readUInt16BE(6); i++) {
    const ownerIsPointer = (buf[o]! & 0xc0) === 0xc0;
    o = skipName(o);
    const type = buf.readUInt16BE(o);
    const len = buf.readUInt16BE(o + 8);
    out.push({ type, rdata: buf.subarray(o + 10, o + 10 + len), ownerIsPointer });
    o += 10 + len;
  }
  return out;
}

/** True when the uncompressed name starting at `o` in `b` ends exactly at the end of `b`. */
function plainNameFills(b: Buffer, o: number): boolean {
  while (o < b.length) {
    const l = b[o]!;
    if ((l & 0xc0) !== 0) return false;
    if (l === 0) return o + 1 === b.length;
    o += 1 + l;
  }
  return false;
}

function udpAsk(port: number, packet: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('no answer'));
    }, 2000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(packet, port, '127.0.0.1');
  });
}

/** An SRV answer as some servers in the wild write it: the target points back at the owner's suffix. */
function compressingSrvAnswer(q: Message, records: { target: string; port: number }[]): Buffer {
  const w = new MessageWriter();
  w.ensure(12);
  w.buf.fill(0, 0, 12);
  w.buf.writeUInt16BE(q.id, 0);
  w.buf.writeUInt16BE(0x8400, 2); // QR, AA
  w.buf.writeUInt16BE(1, 4);
  w.buf.writeUInt16BE(records.length, 6);
  w.length = 12;
  const question = q.questions[0]!;
  // the question as asked, case kept: srvctl's transport checks its 0x20 bits
  w.name(nameWire(question.wireName ?? question.name), true);
  w.u16(question.type);
  w.u16(1);
  for (const r of records) {
    w.name(nameWire(question.name), true);
    w.u16(TYPE.SRV!);
    w.u16(1);
    w.u32(300);
    const lenAt = w.length;
    w.u16(0);
    w.u16(0);
    w.u16(0);
    w.u16(r.port);
    w.name(nameWire(r.target), true); // compressed: what RFC 2782 forbids
    w.buf.writeUInt16BE(w.length - lenAt - 2, lenAt);
  }
  return Buffer.from(w.done());
}

describe('SRV targets are never compressed (issue 10)', function () {
  this.timeout(30_000);
  let server: RunningServer;
  before(async () => {
    server = await serveText(ZONE);
  });
  after(() => server.close());

  it('the embedded server writes every SRV target in full, and still compresses owners and MX names', async () => {
    const reply = await udpAsk(server.port, encodeQuery(7, '_etcd-server-ssl._tcp.example.com', TYPE.SRV!, { rd: false, ednsSize: 1232 }));
    const answers = rawAnswers(reply);
    assert.equal(answers.length, 3);
    for (const a of answers) {
      assert.equal(a.type, TYPE.SRV);
      assert.ok(plainNameFills(a.rdata, 6), `SRV rdata ${a.rdata.toString('hex')} holds a compression pointer`);
    }
    // Owner names do point back at the question (compression is still used where allowed).
    assert.ok(answers.every((a) => a.ownerIsPointer), 'owners are not compressed');
    const mx = rawAnswers(await udpAsk(server.port, encodeQuery(8, 'mail.example.com', TYPE.MX!, { rd: false })));
    assert.equal(mx.length, 1);
    assert.equal(mx[0]!.rdata.length, 2 + 6 + 2, 'MX exchange node1.example.com is its preference, "node1" and a pointer');
    assert.equal(mx[0]!.rdata[8]! & 0xc0, 0xc0);
  });

  it('the encoder keeps SRV targets whole in every section, and the decoder marks a compressed one', () => {
    const srv = [1, 2, 3].map((n) => rec('_etcd-server-ssl._tcp.example.com', 'SRV', 60, `0 0 2380 node${n}.example.com.`));
    const out = encodeResponse({ id: 1, opcode: 0, aa: true, tc: false, rd: false, rcode: 0, questions: [{ name: '_etcd-server-ssl._tcp.example.com', type: TYPE.SRV!, class: 1 }], answers: srv, authority: [], additional: [rec('node1.example.com', 'A', 60, '10.0.0.1')] });
    for (const a of rawAnswers(out)) assert.ok(plainNameFills(a.rdata, 6), a.rdata.toString('hex'));
    const ours = decodeMessage(out);
    assert.deepEqual(ours.answers.map((r) => r.rdata).sort(), srv.map((r) => r.rdata).sort());
    assert.ok(ours.answers.every((r) => (r as DecodedRec).compressedTarget === undefined));

    const q = decodeMessage(encodeQuery(9, '_etcd-server-ssl._tcp.example.com', TYPE.SRV!, { rd: false }));
    const theirs = compressingSrvAnswer(q, [{ target: 'node1.example.com', port: 2380 }]);
    assert.notEqual(rawAnswers(theirs)[0]!.rdata.length, 6 + nameWire('node1.example.com').length, 'the fake must really compress');
    const decoded = decodeMessage(theirs);
    assert.equal(decoded.answers[0]!.rdata, '0 0 2380 node1.example.com.');
    assert.equal((decoded.answers[0] as DecodedRec).compressedTarget, true);
  });

  it('check against a nameserver that compresses SRV targets: exit 1, the nameserver named, etcd\'s failure quoted', async () => {
    const authority = new Authority('example.com', parseZone(ZONE, 'example.com').records);
    const fake: Socket = createSocket('udp4');
    fake.on('message', (buf, rinfo) => {
      const q = decodeMessage(buf);
      const question = q.questions[0];
      let out: Buffer;
      if (question?.type === TYPE.SRV) {
        const answer = authority.answer(q);
        out = answer.answers.length ? compressingSrvAnswer(q, answer.answers.map((r) => ({ target: r.rdata.split(' ')[3]!, port: Number(r.rdata.split(' ')[2]) }))) : encodeResponse(answer);
      } else out = encodeResponse(authority.answer(q));
      fake.send(out, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => fake.bind(0, '127.0.0.1', r));
    const ns = `127.0.0.1:${fake.address().port}`;
    const dir = mkdtempSync(join(tmpdir(), 'srvctl-compress-'));
    try {
      const manifest = join(dir, 'cluster.yaml');
      writeFileSync(manifest, MANIFEST);
      const r = await srvctl(['check', 'example.com', '--ns', ns, '--manifest', manifest, '--json']);
      assert.equal(r.code, 1, r.stderr);
      const doc = JSON.parse(r.stdout);
      const f = doc.findings.find((x: { code: string }) => x.code === 'srv-compressed');
      assert.ok(f, `no srv-compressed finding in ${JSON.stringify(doc.findings)}`);
      assert.equal(f.severity, 'error');
      assert.equal(f.nameserver, ns);
      assert.match(f.message, /cannot unmarshal DNS message/);
      // The predictor does not call it sound: etcd's lookup fails, so every member exits with Go's error.
      assert.ok(doc.members.length > 0);
      for (const m of doc.members) {
        assert.equal(m.outcome, 'exits', m.member);
        assert.match(m.error, /lookup example\.com on <resolver>: cannot unmarshal DNS message/);
      }
      assert.equal(doc.cluster.formed, null);
    } finally {
      fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
