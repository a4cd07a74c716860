import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeMessage, encodeResponse, TYPE, typeName, type DecodedRec, type Message } from '../../src/dns/codec.js';
import { COMPRESSIBLE, readName, wireToRdata } from '../../src/dns/rdata.js';
import { labelsToName, normalizeName } from '../../src/records/name.js';
import { rec, type Rec } from '../../src/records/record.js';

/**
 * The decoder reads names of plain labels (and A, SRV, NS, CNAME, PTR rdata) on a fast
 * path with a per-message memo of suffixes. It must decode every message exactly as the
 * general path does: same records, same flags, same errors. The reference below is the
 * general path alone (the decoder as it was before the fast path).
 */
const HEADER = 12;
function referenceDecode(buf: Buffer): Message {
  if (buf.length < HEADER) throw new Error(`message is ${buf.length} octets, shorter than a header`);
  const flags = buf.readUInt16BE(2);
  const msg: Message = {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    rcode: flags & 0xf,
    questions: [],
    answers: [],
    authority: [],
    additional: [],
    errors: [],
  };
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  let off = HEADER;
  const formErrors: string[] = [];
  try {
    for (let i = 0; i < counts[0]!; i++) {
      const n = readName(buf, off);
      if (n.end + 4 > buf.length) throw new Error('question runs past the end of the message');
      const wireName = labelsToName(n.labels);
      msg.questions.push({ name: normalizeName(wireName), type: buf.readUInt16BE(n.end), class: buf.readUInt16BE(n.end + 2), wireName });
      off = n.end + 4;
    }
    const sections = [msg.answers, msg.authority, msg.additional];
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < counts[s + 1]!; i++) {
        const owner = readName(buf, off);
        const p = owner.end;
        if (p + 10 > buf.length) throw new Error('record header runs past the end of the message');
        const type = buf.readUInt16BE(p);
        const klass = buf.readUInt16BE(p + 2);
        const ttl = buf.readUInt32BE(p + 4);
        const rdlen = buf.readUInt16BE(p + 8);
        const rdOff = p + 10;
        if (rdOff + rdlen > buf.length) throw new Error('rdata runs past the end of the message');
        off = rdOff + rdlen;
        if (type === TYPE.OPT) {
          if (s !== 2) formErrors.push('OPT record outside the additional section');
          else if (msg.edns) formErrors.push('more than one OPT record');
          else if (owner.labels.length !== 0) formErrors.push('OPT record owner is not the root');
          else {
            msg.edns = { size: klass, version: (ttl >>> 16) & 0xff, do: (ttl & 0x8000) !== 0, extendedRcode: ttl >>> 24 };
            msg.ednsSize = Math.max(512, klass);
            msg.rcode |= msg.edns.extendedRcode << 4;
          }
          continue;
        }
        const tname = typeName(type);
        const { rdata, compressed } = wireToRdata(tname, buf, rdOff, rdlen);
        const rec: DecodedRec = { name: normalizeName(labelsToName(owner.labels)), type: tname, ttl, rdata };
        if (compressed && !COMPRESSIBLE.has(tname)) rec.compressedTarget = true;
        sections[s]!.push(rec);
      }
    }
    if (off < buf.length) formErrors.push(`${buf.length - off} octets after the last record`);
  } catch (e) {
    msg.errors.push((e as Error).message);
  }
  if (formErrors.length) msg.formErrors = formErrors;
  return msg;
}

function message(answers: Rec[], additional: Rec[] = [], qname = answers[0]?.name ?? 'example.com'): Buffer {
  return encodeResponse({ id: 7, opcode: 0, aa: true, tc: false, rd: false, rcode: 0, questions: [{ name: normalizeName(qname), wireName: qname, type: TYPE.SRV!, class: 1 }], answers, authority: [], additional, edns: { size: 1232, version: 0, do: false, extendedRcode: 0 } });
}

const good = message(
  [1, 2, 3].map((i) => rec('_etcd-server._tcp.c1.example.com', 'SRV', 300, `0 0 2380 n${i}.c1.example.com.`)),
  [...[1, 2, 3].map((i) => rec(`n${i}.c1.example.com`, 'A', 300, `10.0.0.${i}`)), rec('c1.example.com', 'NS', 300, 'ns.c1.example.com.'), rec('x.example.com', 'CNAME', 300, 'n1.c1.example.com.')],
  '_etcd-SERVER._tcp.C1.example.com',
);

describe('message decoder: the fast name path decodes as the general path', () => {
  it('a reply with compressed owners, SRV targets, glue, NS and CNAME', () => {
    const m = decodeMessage(good);
    assert.deepEqual(m, referenceDecode(good));
    assert.equal(m.questions[0]!.wireName, '_etcd-SERVER._tcp.C1.example.com');
    assert.equal(m.questions[0]!.name, '_etcd-server._tcp.c1.example.com');
    assert.deepEqual(m.answers.map((r) => r.rdata), [1, 2, 3].map((i) => `0 0 2380 n${i}.c1.example.com.`));
  });

  it('names with escapes, specials, octets above 0x7F, upper case and the root', () => {
    const labels = fc.array(fc.constantFrom('a', 'B', '-', '_', '*', '.', '\\', '"', '(', ';', '@', '$', ' ', '\x00', '\xc9', '\xe9', '0'), { minLength: 1, maxLength: 6 }).map((cs) => cs.join(''));
    const name = fc.array(labels, { minLength: 0, maxLength: 4 }).map((ls) => [...ls.map((l) => [...l].map((c) => (/[a-zA-Z0-9_*-]/.test(c) ? c : `\\${String(c.charCodeAt(0)).padStart(3, '0')}`)).join('')), 'example', 'com'].join('.'));
    fc.assert(
      fc.property(name, name, name, (a, b, c) => {
        const buf = message([rec(a, 'SRV', 60, `1 2 3 ${b}.`), rec(a, 'CNAME', 60, `${c}.`), rec(c, 'SRV', 60, '0 0 1 .')], [rec(b, 'A', 60, '10.1.2.3')], a);
        assert.deepEqual(decodeMessage(buf), referenceDecode(buf));
      }),
      { numRuns: 300 },
    );
  });

  it('any message, good or corrupted (pointers, lengths, counts), decodes or fails alike', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(good.length), (flips, cut) => {
        const buf = Buffer.from(good);
        for (const [i, v] of flips) buf[i] = v;
        for (const b of [buf, buf.subarray(0, Math.max(HEADER, cut))]) {
          let want: Message | Error;
          try {
            want = referenceDecode(b);
          } catch (e) {
            want = e as Error;
          }
          if (want instanceof Error) assert.throws(() => decodeMessage(b), { message: want.message });
          else assert.deepEqual(decodeMessage(b), want);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
