import { randomFillSync } from 'node:crypto';
import { labelsWire } from './rdata.js';

/**
 * The wire work of one outgoing query, done by hand so the transport can afford its checks:
 * a query encoded with its name in randomised case (the "0x20" bits of RFC 5452 §9.1 /
 * draft-vixie-dnsext-dns0x20), and a reply's header, question and DNS COOKIE (RFC 7873)
 * read without decoding the rest, so a flood of forged or wrong-ID replies costs little.
 */

const OPT = 41;
const COOKIE_OPTION = 10;

/** Cryptographic randomness in small pieces without a syscall per query. */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function take(n: number): number {
  if (poolAt + n > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += n;
  return at;
}

/** `n` random octets of one's own (copied out of the pool). */
export function randomBytesFast(n: number): Buffer {
  if (n > pool.length) return randomFillSync(Buffer.alloc(n));
  const at = take(n);
  return Buffer.from(pool.subarray(at, at + n));
}

export function randomId(): number {
  return pool.readUInt16BE(take(2));
}

/** Wire forms of the names asked, so a query copies one instead of building it. */
const wireNames = new Map<string, Buffer>();

function plainWire(name: string): Buffer {
  let w = wireNames.get(name);
  if (w) return w;
  const labels = name === '' ? [] : name.split('.');
  const parts: Buffer[] = [];
  let length = 1;
  for (const l of labels) {
    const b = Buffer.from(l, 'utf8');
    if (b.length === 0 || b.length > 63) throw new Error(`label "${l}" of ${name} cannot be sent (1..63 octets)`);
    parts.push(b);
    length += 1 + b.length;
  }
  if (length > 255) throw new Error(`${name} is longer than 255 octets on the wire`);
  w = labelsWire(parts);
  if (wireNames.size >= 10_000) wireNames.clear();
  wireNames.set(name, w);
  return w;
}

/** The name in wire form (labels, root), each ASCII letter's case drawn at random. A buffer of its own. */
export function wireNameRandomCase(name: string, randomize: boolean): Buffer {
  const plain = plainWire(name);
  const length = plain.length;
  const out = Buffer.allocUnsafe(length);
  plain.copy(out, 0);
  if (randomize) {
    const bits = take((length + 7) >> 3); // read in place: the pool is not handed out
    for (let i = 0; i < length - 1; i++) {
      const c = out[i]! | 0x20;
      const letter = c >= 0x61 && c <= 0x7a;
      // length octets are at most 63, below every letter's code, so only name octets flip
      if (letter && ((pool[bits + (i >> 3)]! >> (i & 7)) & 1) === 1) out[i] = out[i]! ^ 0x20;
    }
  }
  return out;
}

export interface QuerySpec {
  id: number;
  wireName: Buffer;
  type: number;
  rd: boolean;
  /** EDNS0 payload size; 0 sends no OPT record (and so no cookie) */
  ednsSize: number;
  /** client cookie (8 octets) and the server cookie learned before, if any */
  cookie?: { client: Buffer; server?: Buffer };
}

export function encodeQueryMessage(q: QuerySpec): Buffer {
  const cookieLen = q.ednsSize && q.cookie ? 4 + 8 + (q.cookie.server?.length ?? 0) : 0;
  const optLen = q.ednsSize ? 11 + cookieLen : 0;
  const out = Buffer.allocUnsafe(12 + q.wireName.length + 4 + optLen);
  out.fill(0, 0, 12); // every other octet is written below
  out.writeUInt16BE(q.id, 0);
  out.writeUInt16BE(q.rd ? 0x0100 : 0, 2);
  out.writeUInt16BE(1, 4); // QDCOUNT
  out.writeUInt16BE(q.ednsSize ? 1 : 0, 10); // ARCOUNT
  let at = 12;
  q.wireName.copy(out, at);
  at += q.wireName.length;
  out.writeUInt16BE(q.type, at);
  out.writeUInt16BE(1, at + 2);
  at += 4;
  if (q.ednsSize) {
    out[at] = 0; // root owner
    out.writeUInt16BE(OPT, at + 1);
    out.writeUInt16BE(q.ednsSize, at + 3);
    out.writeUInt32BE(0, at + 5); // extended rcode, version 0, no DO
    out.writeUInt16BE(cookieLen, at + 9);
    at += 11;
    if (cookieLen) {
      out.writeUInt16BE(COOKIE_OPTION, at);
      out.writeUInt16BE(cookieLen - 4, at + 2);
      q.cookie!.client.copy(out, at + 4);
      q.cookie!.server?.copy(out, at + 12);
    }
  }
  return out;
}

export interface ReplyHead {
  id: number;
  qr: boolean;
  tc: boolean;
  rcode: number;
  qdcount: number;
  /** the question's name exactly as the reply spells it (wire form, pointers expanded) */
  qname?: Buffer;
  qtype?: number;
  qclass?: number;
  /** offset just past the question */
  end: number;
}

/** Reads a name at `at`; returns its uncompressed wire form and the offset after it, or null. */
function readName(buf: Buffer, at: number): { name: Buffer; end: number } | null {
  // Without pointers (a question always is, in practice) the name is a view of the reply.
  const plainEnd = skipName(buf, at);
  if (plainEnd < 0) return null;
  if (buf[plainEnd - 1] === 0 && !hasPointer(buf, at, plainEnd)) return { name: buf.subarray(at, plainEnd), end: plainEnd };
  const parts: Buffer[] = [];
  let end = -1;
  let hops = 0;
  let total = 0;
  for (;;) {
    if (at >= buf.length) return null;
    const len = buf[at]!;
    if ((len & 0xc0) === 0xc0) {
      if (at + 1 >= buf.length || ++hops > 32) return null;
      if (end < 0) end = at + 2;
      at = ((len & 0x3f) << 8) | buf[at + 1]!;
      continue;
    }
    if (len & 0xc0) return null;
    if (len === 0) {
      parts.push(Buffer.from([0]));
      return { name: Buffer.concat(parts), end: end < 0 ? at + 1 : end };
    }
    if (at + 1 + len > buf.length) return null;
    total += 1 + len;
    if (total > 255) return null;
    parts.push(buf.subarray(at, at + 1 + len));
    at += 1 + len;
  }
}

/** Whether the name at [at, end) ends in a pointer (its last two octets are one). */
function hasPointer(buf: Buffer, at: number, end: number): boolean {
  while (at < end - 1) at += 1 + buf[at]!;
  return at !== end - 1;
}

/**
 * The offset after the name at `at` (after its root octet, or after its first pointer),
 * or -1 when readName would fail on it; pointers are followed to check, nothing is built.
 */
function skipName(buf: Buffer, at: number): number {
  let end = -1;
  let hops = 0;
  let total = 0;
  for (;;) {
    if (at >= buf.length) return -1;
    const len = buf[at]!;
    if ((len & 0xc0) === 0xc0) {
      if (at + 1 >= buf.length || ++hops > 32) return -1;
      if (end < 0) end = at + 2;
      at = ((len & 0x3f) << 8) | buf[at + 1]!;
      continue;
    }
    if (len & 0xc0) return -1;
    if (len === 0) return end < 0 ? at + 1 : end;
    if (at + 1 + len > buf.length) return -1;
    total += 1 + len;
    if (total > 255) return -1;
    at += 1 + len;
  }
}

/** Header and first question of a reply; null when even those cannot be read. */
export function readReplyHead(buf: Buffer): ReplyHead | null {
  if (buf.length < 12) return null;
  const flags = buf.readUInt16BE(2);
  const head: ReplyHead = { id: buf.readUInt16BE(0), qr: (flags & 0x8000) !== 0, tc: (flags & 0x0200) !== 0, rcode: flags & 0xf, qdcount: buf.readUInt16BE(4), end: 12 };
  if (head.qdcount >= 1) {
    const n = readName(buf, 12);
    if (!n || n.end + 4 > buf.length) return null;
    head.qname = n.name;
    head.qtype = buf.readUInt16BE(n.end);
    head.qclass = buf.readUInt16BE(n.end + 2);
    head.end = n.end + 4;
  }
  return head;
}

/** Whether two wire names are equal ignoring ASCII case. */
export function sameNameIgnoringCase(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a[i]!;
    let y = b[i]!;
    if (x >= 0x41 && x <= 0x5a) x |= 0x20;
    if (y >= 0x41 && y <= 0x5a) y |= 0x20;
    if (x !== y) return false;
  }
  return true;
}

export interface ReplyEdns {
  /** the reply carried an OPT record */
  opt: boolean;
  /** the COOKIE option's octets (client cookie first), if there was one */
  cookie?: Buffer;
  /** RCODE with the OPT record's upper 8 bits (BADCOOKIE is 23) */
  extendedRcode: number;
}

/** Walks the records after the question to the OPT record; null when the message is cut short. */
export function readReplyEdns(buf: Buffer, head: ReplyHead): ReplyEdns | null {
  let at = head.end;
  for (let q = 1; q < head.qdcount; q++) {
    const n = readName(buf, at);
    if (!n) return null;
    at = n.end + 4;
  }
  const count = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  const firstAdditional = buf.readUInt16BE(6) + buf.readUInt16BE(8);
  for (let i = 0; i < count; i++) {
    // Owners are only stepped over: the full decoder reads them once the reply is accepted.
    const ownerEnd = skipName(buf, at);
    if (ownerEnd < 0 || ownerEnd + 10 > buf.length) return null;
    const type = buf.readUInt16BE(ownerEnd);
    const rdlen = buf.readUInt16BE(ownerEnd + 8);
    const rdata = ownerEnd + 10;
    if (rdata + rdlen > buf.length) return null;
    if (i >= firstAdditional && type === OPT) {
      const ext = buf[ownerEnd + 4]!;
      const out: ReplyEdns = { opt: true, extendedRcode: (ext << 4) | head.rcode };
      for (let o = rdata; o + 4 <= rdata + rdlen; ) {
        const code = buf.readUInt16BE(o);
        const len = buf.readUInt16BE(o + 2);
        if (o + 4 + len > rdata + rdlen) return null;
        if (code === COOKIE_OPTION) out.cookie = Buffer.from(buf.subarray(o + 4, o + 4 + len));
        o += 4 + len;
      }
      return out;
    }
    at = rdata + rdlen;
  }
  return { opt: false, extendedRcode: head.rcode };
}
