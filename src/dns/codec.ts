import { labelsToName, nameToLabels, normalizeName } from '../records/name.js';
import type { Rec } from '../records/record.js';
import { COMPRESSIBLE, labelsWire, rdataToWire, readName, wireToRdata } from './rdata.js';
import { TYPE, typeName } from './types.js';
import { ByteWriter } from './byte-writer.js';

/**
 * srvctl's DNS message codec: a linear, byte-level encoder and decoder (RFC 1035 §4).
 * Compression is used only for owner names and the names inside rdata of RFC 1035's own
 * types (RFC 3597 §4); an SRV target is never compressed (RFC 2782), because Go's parser —
 * etcd's and etcdctl's — rejects the whole message when it is ("cannot unmarshal DNS
 * message"). The decoder reads compression anywhere but marks where it was used.
 */
export { RCODE, TYPE, typeName, rcodeName } from './types.js';

export interface Question {
  name: string; // normalized
  type: number;
  class: number;
  /** the name exactly as it came on the wire (case kept), in presentation form */
  wireName?: string;
}

/** A decoded record: the Rec, and what the wire said about it beyond that. */
export interface DecodedRec extends Rec {
  /**
   * A name in the rdata came with a compression pointer where the type's RFC forbids it
   * (the SRV target: Go's resolver, so etcd, rejects the whole message).
   */
  compressedTarget?: true;
}

export interface Edns {
  /** UDP payload size the sender advertised */
  size: number;
  version: number;
  /** DNSSEC OK (RFC 3225) */
  do: boolean;
  /** upper 8 bits of the rcode */
  extendedRcode: number;
}

export interface Message {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  rcode: number;
  questions: Question[];
  answers: Rec[];
  authority: Rec[];
  additional: Rec[];
  /** EDNS UDP payload size the sender advertised, if it sent an OPT record */
  ednsSize?: number;
  /** the OPT record's fields (decoder), or the OPT to send (encoder) */
  edns?: Edns;
  /** what could not be decoded; decoding stops at the first such problem */
  errors: string[];
  /** structural problems a server answers with FORMERR (two OPTs, OPT outside additional) */
  formErrors?: string[];
}

const HEADER = 12;

/**
 * Octets a label may hold and still read as itself in presentation form: 0x21–0x7E
 * without the specials that name.ts escapes (. " ( ) ; \\ @ $). A name of such labels
 * normalizes by lower-casing alone, so the decoder reads it without the general path.
 */
const PLAIN = new Uint8Array(256); // 1 plain, 3 plain and upper case (A–Z)
for (let c = 0x21; c <= 0x7e; c++) PLAIN[c] = c >= 0x41 && c <= 0x5a ? 3 : 1;
for (const c of '."();\\@$') PLAIN[c.charCodeAt(0)] = 0;

/**
 * Names of one message read fast: each label start's suffix (case kept, and its wire
 * length) is remembered, so a compression pointer to a name already read costs a lookup.
 * Only names of plain labels are read so; anything else (an escape, a bad pointer, a name
 * too long) returns null, and the general path reads it (and reports the error).
 */
/** Buffer's own latin1 decoder, without toString's argument handling (a label is decoded per call). */
const latin1 = (Buffer.prototype as unknown as { latin1Slice?: (start: number, end: number) => string }).latin1Slice;
const labelString = latin1 ? (buf: Buffer, start: number, end: number) => latin1.call(buf, start, end) : (buf: Buffer, start: number, end: number) => buf.toString('latin1', start, end);

interface Suffix {
  /** case kept, and lower-cased (the normalized form for plain labels) */
  text: string;
  lower: string;
  /** wire length, root octet included */
  wire: number;
  /** pointers followed on the way to the root */
  jumps: number;
}

const ROOT: Suffix = { text: '', lower: '', wire: 1, jumps: 0 };

/**
 * The suffix memo, shared by all messages (decoding is synchronous, one message at a
 * time): label offset → the name from there on, valid while its stamp is the current
 * message's. A message is at most 65,535 octets, so offsets index arrays: no map to grow
 * and rehash per message. Allocated on the first decode.
 */
let memoStamp: Uint32Array | undefined;
let memoValue: (Suffix | undefined)[] | undefined;
let epochNow = 0;

function nextEpoch(): number {
  if (!memoStamp || epochNow === 0xffffffff) {
    memoStamp = new Uint32Array(65536);
    memoValue = new Array<Suffix | undefined>(65536).fill(undefined);
    epochNow = 0;
  }
  return ++epochNow;
}

class NameReader {
  /** this message's mark in the shared suffix memo (see memoFor) */
  private readonly epoch: number;
  private readonly starts: number[] = [];
  /** after a successful read(): where the name ends in the message, whether a pointer was followed, its normalized form */
  end = 0;
  compressed = false;
  lower = '';

  constructor(private readonly buf: Buffer) {
    this.epoch = nextEpoch();
  }

  /** The name at `off`, case kept, without the trailing dot ("" for the root); null: use the general path. */
  read(off: number): string | null {
    const buf = this.buf;
    const starts = this.starts;
    let count = 0; // entries of `starts` in use (the array is reused, never shrunk)
    let pos = off;
    let end = -1;
    let jumps = 0;
    let tail = ROOT;
    for (;;) {
      if (pos >= buf.length) return null;
      const known = memoStamp![pos] === this.epoch ? memoValue![pos] : undefined;
      if (known !== undefined) {
        tail = known;
        if (jumps + known.jumps > 127) return null;
        if (end < 0) end = messageNameEnd(buf, pos);
        break;
      }
      const len = buf[pos]!;
      if (len === 0) {
        if (end < 0) end = pos + 1;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= buf.length) return null;
        const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
        if (target >= pos || ++jumps > 127) return null;
        if (end < 0) end = pos + 2;
        starts[count++] = -1; // a pointer: the suffixes before it include one more jump
        pos = target;
        continue;
      }
      if (len & 0xc0 || pos + 1 + len > buf.length) return null;
      let upper = 0;
      for (let i = pos + 1; i <= pos + len; i++) {
        const c = PLAIN[buf[i]!]!;
        if (c === 0) return null;
        upper |= c;
      }
      starts[count++] = upper & 2 ? -2 - pos : pos; // upper case in this label: stored negated
      pos += 1 + len;
    }
    // Suffixes from the last label back: each one remembered under its label's offset.
    let s = tail;
    let tailJumps = tail.jumps;
    for (let k = count - 1; k >= 0; k--) {
      let at = starts[k]!;
      if (at === -1) {
        tailJumps++;
        continue;
      }
      const upper = at < -1;
      if (upper) at = -2 - at;
      const len = buf[at]!;
      const wire = s.wire + 1 + len;
      if (wire > 255) return null;
      const label = labelString(buf, at + 1, at + 1 + len);
      const lowLabel = upper ? label.toLowerCase() : label;
      s = s.wire === 1 ? { text: label, lower: lowLabel, wire, jumps: tailJumps } : { text: `${label}.${s.text}`, lower: `${lowLabel}.${s.lower}`, wire, jumps: tailJumps };
      memoStamp![at] = this.epoch;
      memoValue![at] = s;
    }
    this.end = end;
    this.compressed = jumps + tail.jumps > 0;
    this.lower = s.lower;
    return s.text;
  }
}

/** Offset after the name at `pos` (its first pointer or its root octet). */
function messageNameEnd(buf: Buffer, pos: number): number {
  for (;;) {
    const len = buf[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2;
    pos += 1 + len;
  }
}

/** Decodes a message; throws only when not even the header can be read. */
export function decodeMessage(buf: Buffer): Message {
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
  const names = new NameReader(buf);
  try {
    for (let i = 0; i < counts[0]!; i++) {
      let wireName = names.read(off);
      let end = names.end;
      let name = names.lower;
      if (wireName === null) {
        const n = readName(buf, off);
        wireName = labelsToName(n.labels);
        name = normalizeName(wireName);
        end = n.end;
      }
      if (end + 4 > buf.length) throw new Error('question runs past the end of the message');
      msg.questions.push({ name, type: buf.readUInt16BE(end), class: buf.readUInt16BE(end + 2), wireName });
      off = end + 4;
    }
    const sections = [msg.answers, msg.authority, msg.additional];
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < counts[s + 1]!; i++) {
        let ownerText = names.read(off);
        let p = names.end;
        let root = ownerText === '';
        if (ownerText === null) {
          const owner = readName(buf, off);
          p = owner.end;
          root = owner.labels.length === 0;
          ownerText = normalizeName(labelsToName(owner.labels));
        } else ownerText = names.lower; // plain labels: normalized by lower-casing alone
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
          else if (!root) formErrors.push('OPT record owner is not the root');
          else {
            msg.edns = { size: klass, version: (ttl >>> 16) & 0xff, do: (ttl & 0x8000) !== 0, extendedRcode: ttl >>> 24 };
            msg.ednsSize = Math.max(512, klass);
            msg.rcode |= msg.edns.extendedRcode << 4;
          }
          continue;
        }
        const tname = typeName(type);
        let rdata = fastRdata(names, type, buf, rdOff, rdlen);
        let compressed = names.compressed;
        if (rdata === null) ({ rdata, compressed } = wireToRdata(tname, buf, rdOff, rdlen));
        const rec: DecodedRec = { name: ownerText, type: tname, ttl, rdata };
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

/**
 * rdata of the types a verifier reads most (A, SRV, and the one-name types), read with
 * the message's NameReader; null for every other type or form, which wireToRdata reads.
 * The output is wireToRdata's: the same canonical text. After a name type,
 * `names.compressed` says whether its name used a pointer (false for A).
 */
function fastRdata(names: NameReader, type: number, buf: Buffer, off: number, len: number): string | null {
  names.compressed = false;
  if (type === 1) return len === 4 ? `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}` : null;
  let at: number;
  if (type === 33) at = off + 6;
  else if (type === 2 || type === 5 || type === 12) at = off;
  else return null;
  if (at >= off + len) return null;
  const name = names.read(at);
  if (name === null || names.end !== off + len) return null;
  const target = name === '' ? '.' : `${names.lower}.`;
  return type === 33 ? `${buf.readUInt16BE(off)} ${buf.readUInt16BE(off + 2)} ${buf.readUInt16BE(off + 4)} ${target}` : target;
}

/** A reply to build: a Message without the parts only a decoder fills in (QR is always set). */
export type ResponseSpec = Omit<Message, 'qr' | 'errors'>;

/**
 * One message being written: the shared byte writer plus a compression table from name
 * suffix (its lower-case wire form) to offset. Linear in the message size.
 */
export class MessageWriter extends ByteWriter {
  private readonly table = new Map<string, number>();

  /**
   * A name from its uncompressed wire form. Every suffix written is remembered (so later
   * names may point at it); a pointer is written only when `compress` allows.
   */
  name(wire: Uint8Array, compress: boolean): void {
    const key = lowerKey(wire);
    let o = 0;
    while (wire[o] !== 0) {
      const suffix = o === 0 ? key : key.slice(o);
      const at = this.table.get(suffix);
      if (compress && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (at === undefined && this.length < 0x4000) this.table.set(suffix, this.length);
      const len = wire[o]!;
      this.bytes(wire.subarray(o, o + 1 + len));
      o += 1 + len;
    }
    this.u8(0);
  }
}

const keyCache = new WeakMap<Uint8Array, string>();

/** A name's wire form, lower-cased, as a string: the compression table's key. Cached per buffer. */
function lowerKey(wire: Uint8Array): string {
  let s = keyCache.get(wire);
  if (s === undefined) {
    s = Buffer.from(wire).toString('latin1');
    if (/[A-Z]/.test(s)) s = s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) | 0x20));
    keyCache.set(wire, s);
  }
  return s;
}

/** The SRV target inside cached rdata, as its own buffer, so its key is cached too. */
const srvTargetCache = new WeakMap<Buffer, Buffer>();
function srvTarget(rd: Buffer): Buffer {
  let t = srvTargetCache.get(rd);
  if (!t) {
    t = rd.subarray(6);
    srvTargetCache.set(rd, t);
  }
  return t;
}

/** Wire forms of names and rdata, kept per string and per record: the zone's are reused by every answer. */
const nameCache = new Map<string, Buffer>();
const rdataCache = new WeakMap<object, Buffer>();

export function nameWire(name: string): Buffer {
  let w = nameCache.get(name);
  if (!w) {
    w = labelsWire(nameToLabels(name));
    if (nameCache.size > 200_000) nameCache.clear();
    nameCache.set(name, w);
  }
  return w;
}

/** Wire rdata of a record (uncompressed), cached per record object. */
export function recordRdataWire(r: Rec): Buffer {
  let w = rdataCache.get(r);
  if (!w) {
    w = rdataToWire(r.type, r.rdata);
    rdataCache.set(r, w);
  }
  return w;
}

/** Writes rdata, compressing the names of the types RFC 3597 §4 allows. */
function writeRdata(w: MessageWriter, type: string, rd: Buffer): void {
  const lenAt = w.length;
  w.u16(0);
  const start = w.length;
  if (COMPRESSIBLE.has(type) && (type === 'NS' || type === 'CNAME' || type === 'PTR' || type === 'MX' || type === 'SOA')) {
    let o = 0;
    if (type === 'MX') {
      w.bytes(rd.subarray(0, 2));
      o = 2;
    }
    const names = type === 'SOA' ? 2 : 1;
    for (let k = 0; k < names; k++) {
      const end = nameEnd(rd, o);
      w.name(rd.subarray(o, end), true);
      o = end;
    }
    w.bytes(rd.subarray(o));
  } else if (type === 'SRV') {
    // The target is remembered for later owner names (the additional A/AAAA) but never a pointer.
    w.bytes(rd.subarray(0, 6));
    w.name(srvTarget(rd), false);
  } else {
    w.bytes(rd);
  }
  w.buf.writeUInt16BE(w.length - start, lenAt);
}

function nameEnd(wire: Uint8Array, o: number): number {
  while (wire[o] !== 0) o += 1 + wire[o]!;
  return o + 1;
}

function writeRecord(w: MessageWriter, r: Rec): void {
  const type = TYPE[r.type] ?? Number(/^TYPE(\d+)$/.exec(r.type)?.[1] ?? NaN);
  if (!Number.isInteger(type)) throw new Error(`unknown record type ${r.type}`);
  w.name(nameWire(r.name), true);
  w.u16(type);
  w.u16(1);
  w.u32(r.ttl);
  writeRdata(w, r.type, recordRdataWire(r));
}

function writeOpt(w: MessageWriter, edns: Edns): void {
  w.u8(0);
  w.u16(TYPE.OPT!);
  w.u16(Math.max(512, edns.size));
  w.u32(((edns.extendedRcode & 0xff) << 24) | ((edns.version & 0xff) << 16) | (edns.do ? 0x8000 : 0));
  w.u16(0);
}

export interface EncodeOptions {
  /** stop adding records past this size and set TC (UDP); the header and question always fit */
  maxSize?: number;
}

/**
 * Encodes a response. With `maxSize`, records that do not fit are left out: a whole
 * answer/authority that does not fit sets TC (RFC 2181 §9); additional records that do not
 * fit are only dropped (RFC 2181 §9 allows it without TC).
 */
export function encodeResponse(s: ResponseSpec, opts: EncodeOptions = {}): Buffer {
  const w = new MessageWriter(512);
  const edns = s.edns ?? (s.ednsSize ? { size: s.ednsSize, version: 0, do: false, extendedRcode: 0 } : undefined);
  const rcode = s.rcode;
  if (edns) edns.extendedRcode = rcode >> 4;
  const header = (tc: boolean, an: number, ns: number, ar: number) => {
    w.buf.writeUInt16BE(s.id, 0);
    w.buf.writeUInt16BE(0x8000 | ((s.opcode & 0xf) << 11) | (s.aa ? 0x0400 : 0) | (tc ? 0x0200 : 0) | (s.rd ? 0x0100 : 0) | (rcode & 0xf), 2);
    w.buf.writeUInt16BE(s.questions.length, 4);
    w.buf.writeUInt16BE(an, 6);
    w.buf.writeUInt16BE(ns, 8);
    w.buf.writeUInt16BE(ar, 10);
  };
  w.ensure(HEADER);
  w.length = HEADER;
  for (const q of s.questions) {
    // The question's case as it came (0x20 bits), unless the caller changed the name itself.
    const asked = q.wireName !== undefined && normalizeName(q.wireName) === q.name ? q.wireName : q.name;
    w.name(nameWire(asked), true);
    w.u16(q.type);
    w.u16(q.class);
  }
  const optSize = edns ? 11 : 0;
  const max = opts.maxSize ?? Infinity;
  const counts = [0, 0, 0];
  let tc = s.tc;
  const sections = [s.answers, s.authority, s.additional];
  outer: for (let k = 0; k < 3; k++) {
    for (const r of sections[k]!) {
      const before = w.length;
      writeRecord(w, r);
      if (w.length + optSize > max) {
        // Rolled back, and nothing after it writes a name, so no table entry points past here.
        w.length = before;
        if (k < 2) tc = true;
        break outer;
      }
      counts[k]!++;
    }
  }
  if (edns) writeOpt(w, edns);
  header(tc, counts[0]!, counts[1]!, counts[2]! + (edns ? 1 : 0));
  return w.done();
}

export function encodeQuery(id: number, name: string, type: number, opts: { rd: boolean; ednsSize?: number; do?: boolean }): Buffer {
  const w = new MessageWriter(64 + name.length);
  w.ensure(HEADER);
  w.buf.fill(0, 0, HEADER);
  w.buf.writeUInt16BE(id, 0);
  w.buf.writeUInt16BE(opts.rd ? 0x0100 : 0, 2);
  w.buf.writeUInt16BE(1, 4);
  w.buf.writeUInt16BE(opts.ednsSize ? 1 : 0, 10);
  w.length = HEADER;
  // The name goes out as given (case kept), so a caller may randomise case (0x20 bits).
  w.name(labelsWire(nameToLabels(name.trim())), false);
  w.u16(type);
  w.u16(1);
  if (opts.ednsSize) writeOpt(w, { size: opts.ednsSize, version: 0, do: opts.do ?? false, extendedRcode: 0 });
  return w.done();
}

/** A header-only reply (FORMERR for garbage that still has an ID). */
export function encodeBareResponse(id: number, rcode: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(0x8000 | (rcode & 0xf), 2);
  return b;
}
