import { isIPv4, isIPv6 } from 'node:net';
import { labelsToName, nameToLabels, normalizeName } from '../records/name.js';
import { canonicalIPv6, characterStringText, presentationWords, txtRdataFromOctets, type PresentationWord } from '../records/record.js';
import { typeNumber } from './types.js';
import { ByteWriter } from './byte-writer.js';

/**
 * One codec per RR type between master-file presentation form and wire form.
 *
 * srvctl reasons about A, AAAA, NS, CNAME, SOA, PTR, MX, TXT (and SPF), SRV and CAA: their
 * canonical presentation is typed (names lower case with a trailing dot, TXT octet-exact).
 * Every other type is carried as RFC 3597 generic rdata, `\# <len> <hex>`; the types below
 * with a field list can also be read from their own presentation form (a zone file's HINFO,
 * TLSA, NAPTR, SVCB…) and are then stored as `\#`, so two spellings compare equal.
 */
export class RdataError extends Error {
  constructor(
    /** index of the offending word in the rdata, or -1 for the whole */
    readonly word: number,
    message: string,
  ) {
    super(message);
  }
}

/** Types whose rdata srvctl keeps in their own typed presentation form. */
export const TYPED = new Set(['A', 'AAAA', 'NS', 'CNAME', 'SOA', 'PTR', 'MX', 'TXT', 'SPF', 'SRV', 'CAA']);

/**
 * Types whose rdata names a sender may compress: RFC 1035's own types (RFC 3597 §4).
 * The SRV target (RFC 2782) and every later type's names are never compressed.
 */
export const COMPRESSIBLE = new Set(['NS', 'CNAME', 'SOA', 'PTR', 'MX', 'MD', 'MF', 'MB', 'MG', 'MR', 'MINFO']);

type Field =
  | 'u8' | 'u16' | 'u32' | 'ttl32' | 'name' | 'ipv4' | 'ipv6' | 'cstr' | 'cstrs' | 'hex' | 'hex0' | 'base64' | 'type' | 'time'
  | 'bitmap' | 'salt' | 'b32' | 'rawstr' | 'caatag' | 'eui48' | 'eui64' | 'svcparams';

const FIELDS: Record<string, Field[]> = {
  A: ['ipv4'],
  AAAA: ['ipv6'],
  NS: ['name'], CNAME: ['name'], PTR: ['name'], DNAME: ['name'], MD: ['name'], MF: ['name'], MB: ['name'], MG: ['name'], MR: ['name'],
  SOA: ['name', 'name', 'ttl32', 'ttl32', 'ttl32', 'ttl32', 'ttl32'],
  MX: ['u16', 'name'], AFSDB: ['u16', 'name'], RT: ['u16', 'name'], KX: ['u16', 'name'],
  TXT: ['cstrs'], SPF: ['cstrs'],
  SRV: ['u16', 'u16', 'u16', 'name'],
  CAA: ['u8', 'caatag', 'rawstr'],
  HINFO: ['cstr', 'cstr'],
  MINFO: ['name', 'name'], RP: ['name', 'name'],
  NAPTR: ['u16', 'u16', 'cstr', 'cstr', 'cstr', 'name'],
  TLSA: ['u8', 'u8', 'u8', 'hex'], SMIMEA: ['u8', 'u8', 'u8', 'hex'],
  SSHFP: ['u8', 'u8', 'hex'],
  DS: ['u16', 'u8', 'u8', 'hex'], CDS: ['u16', 'u8', 'u8', 'hex'], DLV: ['u16', 'u8', 'u8', 'hex'],
  DNSKEY: ['u16', 'u8', 'u8', 'base64'], CDNSKEY: ['u16', 'u8', 'u8', 'base64'], KEY: ['u16', 'u8', 'u8', 'base64'],
  RRSIG: ['type', 'u8', 'u8', 'u32', 'time', 'time', 'u16', 'name', 'base64'],
  SIG: ['type', 'u8', 'u8', 'u32', 'time', 'time', 'u16', 'name', 'base64'],
  NSEC: ['name', 'bitmap'],
  NSEC3PARAM: ['u8', 'u8', 'u16', 'salt'],
  NSEC3: ['u8', 'u8', 'u16', 'salt', 'b32', 'bitmap'],
  CSYNC: ['u32', 'u16', 'bitmap'],
  URI: ['u16', 'u16', 'rawstr'],
  OPENPGPKEY: ['base64'], DHCID: ['base64'],
  EUI48: ['eui48'], EUI64: ['eui64'],
  ZONEMD: ['u32', 'u8', 'u8', 'hex'],
  SVCB: ['u16', 'name', 'svcparams'], HTTPS: ['u16', 'name', 'svcparams'],
};

/** Can srvctl turn this type's own presentation form into wire form? (`\#` always works.) */
export const readsPresentation = (type: string): boolean => type in FIELDS;

/** rdata is written with the shared writer (byte-writer.ts). */
type Bytes = ByteWriter;

/** Wire form of a name (uncompressed), from its labels. */
export function labelsWire(labels: readonly Uint8Array[]): Buffer {
  let n = 1;
  for (const l of labels) n += l.length + 1;
  const out = Buffer.alloc(n);
  let o = 0;
  for (const l of labels) {
    out[o++] = l.length;
    out.set(l, o);
    o += l.length;
  }
  out[o] = 0;
  return out;
}

/** A name field: absolute with a trailing dot, "@" or relative to `origin` when one is given. */
function nameLabels(word: PresentationWord, origin: string | undefined): Buffer[] {
  const t = word.text;
  if (t === '@' && origin !== undefined) return nameToLabels(origin);
  const absolute = t.endsWith('.') && !/(^|[^\\])(\\\\)*\\\.$/.test(t);
  const labels = nameToLabels(t);
  if (absolute || origin === undefined || t === '.') return labels;
  return [...labels, ...nameToLabels(origin)];
}

const TTL_UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

function ttl32(t: string): number | null {
  if (/^\d+$/.test(t)) return Number(t) <= 0xffffffff ? Number(t) : null;
  if (!/^(\d+[smhdw])+$/i.test(t)) return null;
  let total = 0;
  for (const m of t.toLowerCase().matchAll(/(\d+)([smhdw])/g)) total += Number(m[1]) * TTL_UNIT[m[2]!]!;
  return total <= 0xffffffff ? total : null;
}

function uint(t: string, max: number, i: number, what: string): number {
  if (!/^\d+$/.test(t) || Number(t) > max) throw new RdataError(i, `${what} must be a number from 0 to ${max}, found "${t}"`);
  return Number(t);
}

/** RRSIG time: YYYYMMDDHHmmSS (UTC) or seconds since the epoch (RFC 4034 §3.2). */
function sigTime(t: string, i: number): number {
  if (/^\d{14}$/.test(t)) {
    const d = Date.UTC(+t.slice(0, 4), +t.slice(4, 6) - 1, +t.slice(6, 8), +t.slice(8, 10), +t.slice(10, 12), +t.slice(12, 14));
    return (Math.floor(d / 1000) % 2 ** 32) >>> 0;
  }
  return uint(t, 0xffffffff, i, 'signature time');
}

function typeBitmap(words: PresentationWord[], from: number, b: Bytes): void {
  const types = words.slice(from).map((w, k) => {
    const n = typeNumber(w.text);
    if (n === undefined) throw new RdataError(from + k, `"${w.text}" is not a record type`);
    return n;
  });
  const windows = new Map<number, number[]>();
  for (const t of [...new Set(types)].sort((x, y) => x - y)) {
    const win = t >> 8;
    if (!windows.has(win)) windows.set(win, []);
    windows.get(win)!.push(t & 0xff);
  }
  for (const [win, bits] of windows) {
    const len = (Math.max(...bits) >> 3) + 1;
    const map = Buffer.alloc(len);
    for (const bit of bits) map[bit >> 3]! |= 0x80 >> (bit & 7);
    b.u8(win);
    b.u8(len);
    b.bytes(map);
  }
}

const B32HEX = '0123456789abcdefghijklmnopqrstuv';
function base32hex(t: string, i: number): Buffer {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of t.toLowerCase()) {
    const v = B32HEX.indexOf(c);
    if (v < 0) throw new RdataError(i, `"${t}" is not base32hex`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function hexOf(words: PresentationWord[], from: number, allowEmpty: boolean): Buffer {
  const text = words.slice(from).map((w) => w.text).join('');
  if ((!allowEmpty && text.length === 0) || !/^([0-9a-f]{2})*$/i.test(text)) throw new RdataError(from, `expected hexadecimal data, found "${text.slice(0, 40)}"`);
  return Buffer.from(text, 'hex');
}

function base64Of(words: PresentationWord[], from: number): Buffer {
  const text = words.slice(from).map((w) => w.text).join('');
  if (text.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new RdataError(from, 'expected base64 data');
  return Buffer.from(text, 'base64');
}

function cstr(b: Bytes, w: PresentationWord, i: number): void {
  if (w.octets.length > 255) throw new RdataError(i, `a character-string holds at most 255 octets, this one ${w.octets.length}`);
  b.u8(w.octets.length);
  b.bytes(w.octets);
}

const SVC_KEYS: Record<string, number> = { mandatory: 0, alpn: 1, 'no-default-alpn': 2, port: 3, ipv4hint: 4, ech: 5, ipv6hint: 6 };

function svcKey(k: string, i: number): number {
  if (k in SVC_KEYS) return SVC_KEYS[k]!;
  const m = /^key(\d{1,5})$/.exec(k);
  if (!m || Number(m[1]) > 65535) throw new RdataError(i, `unknown SvcParamKey "${k}"`);
  return Number(m[1]);
}

/** SVCB/HTTPS SvcParams (RFC 9460 §2.1), written in key order. */
function svcParams(words: PresentationWord[], from: number, b: Bytes): void {
  const params: { key: number; value: Buffer }[] = [];
  for (let i = from; i < words.length; i++) {
    const w = words[i]!;
    const eq = w.text.indexOf('=');
    let keyText = eq < 0 ? w.text : w.text.slice(0, eq);
    let valueText = eq < 0 ? '' : w.text.slice(eq + 1);
    // key="quoted value" arrives as two words: `key=` and the quoted string.
    if (eq === w.text.length - 1 && words[i + 1]?.quoted) valueText = words[++i]!.text;
    keyText = keyText.toLowerCase();
    const key = svcKey(keyText, i);
    const v = new ByteWriter(64);
    const list = valueText === '' ? [] : valueText.split(/(?<!\\),/);
    switch (key) {
      case 0:
        for (const k of list.map((x) => svcKey(x, i)).sort((x, y) => x - y)) v.u16(k);
        break;
      case 1:
        for (const item of list) {
          const o = Buffer.from(item.replace(/\\,/g, ','), 'utf8');
          v.u8(o.length);
          v.bytes(o);
        }
        break;
      case 2:
        break;
      case 3:
        v.u16(uint(valueText, 65535, i, 'port'));
        break;
      case 4:
        for (const a of list) {
          if (!isIPv4(a)) throw new RdataError(i, `"${a}" is not an IPv4 address`);
          for (const p of a.split('.')) v.u8(Number(p));
        }
        break;
      case 6:
        for (const a of list) {
          if (!isIPv6(a)) throw new RdataError(i, `"${a}" is not an IPv6 address`);
          v.bytes(ipv6Bytes(a));
        }
        break;
      case 5:
        v.bytes(Buffer.from(valueText, 'base64'));
        break;
      default:
        v.bytes(Buffer.from(valueText, 'latin1'));
    }
    params.push({ key, value: v.done() });
  }
  params.sort((x, y) => x.key - y.key);
  for (const p of params) {
    b.u16(p.key);
    b.u16(p.value.length);
    b.bytes(p.value);
  }
}

export function ipv6Bytes(address: string): Buffer {
  const full = canonicalIPv6(address);
  const out = Buffer.alloc(16);
  const [head, tail] = full.includes('::') ? full.split('::') : [full, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, k) => out.writeUInt16BE(parseInt(g, 16), k * 2));
  return out;
}

function eui(t: string, n: number, i: number): Buffer {
  const re = n === 6 ? /^[0-9a-f]{2}(-[0-9a-f]{2}){5}$/i : /^[0-9a-f]{2}(-[0-9a-f]{2}){7}$/i;
  if (!re.test(t)) throw new RdataError(i, `"${t}" is not an EUI-${n * 8} address`);
  return Buffer.from(t.replace(/-/g, ''), 'hex');
}

/**
 * Wire form (uncompressed) of rdata given as presentation words. Names are absolute unless
 * `origin` is given (a zone file's relative names and "@"). RFC 3597 `\# len hex` is read
 * for every type.
 */
export function wordsToWire(type: string, words: PresentationWord[], origin?: string): Buffer {
  if (words[0] && !words[0].quoted && words[0].text === '\\#') {
    const len = uint(words[1]?.text ?? '', 65535, 1, 'the \\# length');
    const data = hexOf(words, 2, true);
    if (data.length !== len) throw new RdataError(1, `\\# says ${len} octets, the hex holds ${data.length}`);
    return data;
  }
  const fields = FIELDS[type];
  if (!fields) throw new RdataError(-1, `srvctl cannot read ${type} rdata in its own form; write it as RFC 3597 "\\# <length> <hex>"`);
  const rest = fields.some((f) => f === 'cstrs' || f === 'hex' || f === 'hex0' || f === 'base64' || f === 'bitmap' || f === 'svcparams');
  if (!rest && words.length !== fields.length) throw new RdataError(-1, `${type} needs ${fields.length} rdata field(s), found ${words.length}`);
  const b = new ByteWriter(64);
  let i = 0;
  const word = (what: string) => {
    const w = words[i];
    if (!w) throw new RdataError(-1, `${type} needs ${fields.length} field(s): ${what} is missing`);
    return w;
  };
  for (const f of fields) {
    switch (f) {
      case 'u8':
        b.u8(uint(word('a number').text, 255, i, `${type} field ${i + 1}`));
        i++;
        break;
      case 'u16':
        b.u16(uint(word('a number').text, 65535, i, `${type} field ${i + 1}`));
        i++;
        break;
      case 'u32':
        b.u32(uint(word('a number').text, 0xffffffff, i, `${type} field ${i + 1}`));
        i++;
        break;
      case 'ttl32': {
        const w = word('a number');
        const v = ttl32(w.text);
        if (v === null) throw new RdataError(i, `${type} field ${i + 1} must be a number, found "${w.text}"`);
        b.u32(v);
        i++;
        break;
      }
      case 'name': {
        const w = word('a name');
        try {
          b.bytes(labelsWire(nameLabels(w, origin)));
        } catch (e) {
          throw new RdataError(i, (e as Error).message);
        }
        i++;
        break;
      }
      case 'ipv4': {
        const w = word('an address');
        if (!isIPv4(w.text)) throw new RdataError(i, `"${w.text}" is not an IPv4 address`);
        for (const p of w.text.split('.')) b.u8(Number(p));
        i++;
        break;
      }
      case 'ipv6': {
        const w = word('an address');
        if (!isIPv6(w.text)) throw new RdataError(i, `"${w.text}" is not an IPv6 address`);
        b.bytes(ipv6Bytes(w.text));
        i++;
        break;
      }
      case 'cstr':
        cstr(b, word('a string'), i);
        i++;
        break;
      case 'cstrs':
        if (words.length === 0) throw new RdataError(-1, `${type} needs at least one string`);
        for (; i < words.length; i++) {
          const o = words[i]!.octets;
          // A string over 255 octets is split into several character-strings.
          if (o.length === 0) b.u8(0);
          for (let k = 0; k < o.length; k += 255) {
            const part = o.subarray(k, k + 255);
            b.u8(part.length);
            b.bytes(part);
          }
        }
        break;
      case 'hex':
      case 'hex0':
        b.bytes(hexOf(words, i, f === 'hex0'));
        i = words.length;
        break;
      case 'base64':
        b.bytes(base64Of(words, i));
        i = words.length;
        break;
      case 'type': {
        const w = word('a type');
        const n = typeNumber(w.text);
        if (n === undefined) throw new RdataError(i, `"${w.text}" is not a record type`);
        b.u16(n);
        i++;
        break;
      }
      case 'time':
        b.u32(sigTime(word('a time').text, i));
        i++;
        break;
      case 'bitmap':
        typeBitmap(words, i, b);
        i = words.length;
        break;
      case 'salt': {
        const t = word('a salt').text;
        const s = t === '-' ? Buffer.alloc(0) : hexOf([words[i]!], 0, false);
        b.u8(s.length);
        b.bytes(s);
        i++;
        break;
      }
      case 'b32': {
        const s = base32hex(word('a hash').text, i);
        b.u8(s.length);
        b.bytes(s);
        i++;
        break;
      }
      case 'rawstr':
        b.bytes(word('a string').octets);
        i++;
        break;
      case 'caatag': {
        const t = word('a tag').text;
        if (!/^[A-Za-z0-9]{1,255}$/.test(t)) throw new RdataError(i, `CAA tag "${t}" must be letters and digits`);
        b.u8(t.length);
        b.bytes(Buffer.from(t, 'ascii'));
        i++;
        break;
      }
      case 'eui48':
        b.bytes(eui(word('an address').text, 6, i));
        i++;
        break;
      case 'eui64':
        b.bytes(eui(word('an address').text, 8, i));
        i++;
        break;
      case 'svcparams':
        svcParams(words, i, b);
        i = words.length;
        break;
    }
  }
  if (i < words.length) throw new RdataError(i, `${type} has ${fields.length} field(s); "${words[i]!.text}" is one too many`);
  if (b.length > 65535) throw new RdataError(-1, `${type} rdata is ${b.length} octets (at most 65535)`);
  return b.done();
}

/** Wire form of presentation-form rdata (a Rec's rdata: absolute names). */
export function rdataToWire(type: string, rdata: string, origin?: string): Buffer {
  return wordsToWire(type, presentationWords(rdata), origin);
}

/** Reads a possibly compressed name; `compressed` says whether a pointer was followed. */
export function readName(msg: Buffer, off: number): { labels: Buffer[]; end: number; compressed: boolean } {
  const labels: Buffer[] = [];
  let pos = off;
  let end = -1;
  let jumps = 0;
  let total = 1;
  for (;;) {
    if (pos >= msg.length) throw new Error('name runs past the end of the message');
    const len = msg[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) throw new Error('compression pointer runs past the end of the message');
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      // Pointers must point backwards (to a prior occurrence), which also rules out loops.
      if (target >= pos) throw new Error('compression pointer does not point backwards');
      if (end < 0) end = pos + 2;
      if (++jumps > 127) throw new Error('too many compression pointers');
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new Error(`unknown label type 0x${(len & 0xc0).toString(16)}`);
    if (pos + 1 + len > msg.length) throw new Error('label runs past the end of the message');
    total += len + 1;
    if (total > 255) throw new Error('name is longer than 255 octets');
    labels.push(msg.subarray(pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return { labels, end, compressed: jumps > 0 };
}

const presentName = (labels: Buffer[]): string => `${normalizeName(labelsToName(labels))}.`.replace(/^\.$/, '.');

function ipv4Text(b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

function ipv6Text(b: Buffer, o: number): string {
  const groups: string[] = [];
  for (let k = 0; k < 8; k++) groups.push(b.readUInt16BE(o + k * 2).toString(16));
  return canonicalIPv6(groups.join(':'));
}

export const opaqueRdata = (wire: Uint8Array): string => (wire.length === 0 ? '\\# 0' : `\\# ${wire.length} ${Buffer.from(wire).toString('hex')}`);

export interface DecodedRdata {
  rdata: string;
  /** a name inside the rdata used a compression pointer */
  compressed: boolean;
}

/**
 * Canonical presentation of rdata read from a message at [off, off+len). Names may be
 * compressed (pointers into `msg`); typed rdata that does not fit its type throws.
 */
export function wireToRdata(type: string, msg: Buffer, off: number, len: number): DecodedRdata {
  const end = off + len;
  if (end > msg.length) throw new Error('rdata runs past the end of the message');
  let compressed = false;
  const name = (at: number) => {
    const n = readName(msg, at);
    if (n.end > end) throw new Error(`${type} name runs past its rdata`);
    compressed ||= n.compressed;
    return n;
  };
  const exact = (n: number) => {
    if (len !== n) throw new Error(`${type} rdata is ${len} octets, expected ${n}`);
  };
  let rdata: string;
  switch (type) {
    case 'A':
      exact(4);
      rdata = ipv4Text(msg, off);
      break;
    case 'AAAA':
      exact(16);
      rdata = ipv6Text(msg, off);
      break;
    case 'NS':
    case 'CNAME':
    case 'PTR': {
      const n = name(off);
      if (n.end !== end) throw new Error(`${type} rdata has trailing octets`);
      rdata = presentName(n.labels);
      break;
    }
    case 'MX': {
      if (len < 3) throw new Error('MX rdata too short');
      const n = name(off + 2);
      if (n.end !== end) throw new Error('MX rdata has trailing octets');
      rdata = `${msg.readUInt16BE(off)} ${presentName(n.labels)}`;
      break;
    }
    case 'SRV': {
      if (len < 7) throw new Error('SRV rdata too short');
      const n = name(off + 6);
      if (n.end !== end) throw new Error('SRV rdata has trailing octets');
      rdata = `${msg.readUInt16BE(off)} ${msg.readUInt16BE(off + 2)} ${msg.readUInt16BE(off + 4)} ${presentName(n.labels)}`;
      break;
    }
    case 'SOA': {
      const m = name(off);
      const r = name(m.end);
      if (r.end + 20 !== end) throw new Error('SOA rdata has the wrong length');
      const nums = [0, 4, 8, 12, 16].map((k) => msg.readUInt32BE(r.end + k));
      rdata = `${presentName(m.labels)} ${presentName(r.labels)} ${nums.join(' ')}`;
      break;
    }
    case 'TXT':
    case 'SPF': {
      const strings: Buffer[] = [];
      let p = off;
      if (len === 0) throw new Error(`${type} rdata is empty`);
      while (p < end) {
        const l = msg[p]!;
        if (p + 1 + l > end) throw new Error(`${type} character-string runs past its rdata`);
        strings.push(msg.subarray(p + 1, p + 1 + l));
        p += 1 + l;
      }
      rdata = txtRdataFromOctets(strings);
      break;
    }
    case 'CAA': {
      if (len < 2 || 2 + msg[off + 1]! > len || msg[off + 1] === 0) throw new Error('CAA rdata malformed');
      const tag = msg.subarray(off + 2, off + 2 + msg[off + 1]!);
      if (!/^[A-Za-z0-9]+$/.test(tag.toString('latin1'))) throw new Error('CAA tag is not alphanumeric');
      rdata = `${msg[off]} ${tag.toString('latin1')} ${characterStringText(msg.subarray(off + 2 + tag.length, end))}`;
      break;
    }
    default:
      rdata = opaqueRdata(msg.subarray(off, end));
  }
  return { rdata, compressed };
}

/** The canonical form of presentation-form rdata (any spelling), or throws RdataError. */
export function canonicalRdata(type: string, words: PresentationWord[], origin?: string): string {
  const wire = wordsToWire(type, words, origin);
  if (!TYPED.has(type)) return opaqueRdata(wire);
  try {
    return wireToRdata(type, wire, 0, wire.length).rdata;
  } catch (e) {
    throw new RdataError(-1, (e as Error).message);
  }
}
