import { isIPv4, isIPv6 } from 'node:net';
import { fqdn, normalizeName } from './name.js';

/**
 * One resource record. `rdata` is the canonical presentation form, so records read from
 * a zone file, a DNS answer or a provider API compare with plain string equality.
 */
export interface Rec {
  readonly name: string; // normalized (lower case, no trailing dot)
  readonly type: string; // upper case mnemonic
  readonly ttl: number;
  readonly rdata: string;
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string; // normalized
}

export function srvRdata(d: SrvData): string {
  return `${d.priority} ${d.weight} ${d.port} ${fqdn(normalizeName(d.target))}`;
}

export function parseSrvRdata(rdata: string): SrvData | null {
  const m = /^(\d+) (\d+) (\d+) (\S+)$/.exec(rdata);
  if (!m) return null;
  return { priority: +m[1]!, weight: +m[2]!, port: +m[3]!, target: normalizeName(m[4]!) };
}

/** RFC 5952 text form, so two spellings of one IPv6 address compare equal. */
export function canonicalIPv6(address: string): string {
  // URL parsing gives RFC 5952 compression and lower case without a hand-written routine.
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

export function addressRdata(type: 'A' | 'AAAA', address: string): string {
  if (type === 'A') {
    if (!isIPv4(address)) throw new Error(`not an IPv4 address: ${address}`);
    return address;
  }
  if (!isIPv6(address)) throw new Error(`not an IPv6 address: ${address}`);
  return canonicalIPv6(address);
}

/**
 * TXT rdata is a sequence of character-strings, each up to 255 octets. Its canonical
 * presentation form: every string quoted, `"` and `\` escaped with a backslash, every
 * octet outside 0x20–0x7E written `\DDD`. So TXT is octets, not UTF-8, and a JS string
 * never holds a raw byte >= 0x80.
 */
export function txtRdataFromOctets(strings: readonly Uint8Array[]): string {
  return strings.map(characterStringText).join(' ');
}

/** One character-string, quoted, in canonical presentation form. */
export function characterStringText(s: Uint8Array): string {
  let out = '"';
  for (const b of s) {
    if (b < 0x20 || b > 0x7e) out += `\\${String(b).padStart(3, '0')}`;
    else if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else out += String.fromCharCode(b);
  }
  return `${out}"`;
}

/**
 * The character-strings of TXT rdata as octets. Accepts any master-file spelling (quoted or
 * bare words, `\X`, `\DDD`, characters outside ASCII as their UTF-8 octets); a string
 * longer than 255 octets is split, as it must be on the wire.
 */
export function txtOctets(rdata: string): Buffer[] {
  const out: Buffer[] = [];
  for (const word of presentationWords(rdata)) {
    const b = word.octets;
    if (b.length === 0) out.push(b);
    for (let i = 0; i < b.length; i += 255) out.push(b.subarray(i, i + 255));
  }
  return out;
}

/** TXT rdata from text strings (each taken as its UTF-8 octets). */
export function txtRdata(strings: readonly string[]): string {
  return txtRdataFromOctets(strings.map((s) => Buffer.from(s, 'utf8')));
}

/** TXT strings as text (octets read as UTF-8): for ASCII content such as srvctl's markers; use txtOctets to be exact. */
export function parseTxtRdata(rdata: string): string[] {
  const out: string[] = [];
  for (const w of presentationWords(rdata)) out.push(w.octets.toString('utf8'));
  return out;
}

export interface PresentationWord {
  /** the word as written, escapes kept, quotes removed */
  text: string;
  quoted: boolean;
  /** the octets it stands for (escapes resolved, non-ASCII as UTF-8) */
  octets: Buffer;
}

/** Splits presentation-form rdata into words: quoted strings or runs of non-blanks. */
export function presentationWords(rdata: string): PresentationWord[] {
  const out: PresentationWord[] = [];
  let i = 0;
  const n = rdata.length;
  while (i < n) {
    const c = rdata[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const quoted = c === '"';
    let j = quoted ? i + 1 : i;
    while (j < n) {
      const d = rdata[j]!;
      if (d === '\\') {
        j += 2;
        continue;
      }
      if (quoted ? d === '"' : d === ' ' || d === '\t' || d === '\n' || d === '\r') break;
      j++;
    }
    const text = rdata.slice(quoted ? i + 1 : i, Math.min(j, n));
    out.push({ text, quoted, octets: unescapeOctets(text) });
    i = quoted ? j + 1 : j;
  }
  return out;
}

/** Master-file escapes (`\X`, `\DDD`) resolved to octets; other characters as UTF-8. */
export function unescapeOctets(text: string): Buffer {
  if (!/[\\\u0080-\uffff]/.test(text)) return Buffer.from(text, 'latin1');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c && i + 1 < text.length) {
      const ddd = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(ddd) && Number(ddd) <= 255) {
        out.push(Number(ddd));
        i += 3;
        continue;
      }
      i++;
    }
    const cp = text.codePointAt(i)!;
    if (cp < 0x80) out.push(cp);
    else {
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(b);
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(out);
}

export function rec(name: string, type: string, ttl: number, rdata: string): Rec {
  return { name: normalizeName(name), type: type.toUpperCase(), ttl, rdata };
}

/** Zone-file line: `name. ttl IN TYPE rdata`. */
export function recordText(r: Rec): string {
  return `${fqdn(r.name)} ${r.ttl} IN ${r.type} ${r.rdata}`;
}

/** Identity of a record regardless of TTL: DNS treats records differing only in TTL as one. */
export function recordKey(r: Pick<Rec, 'name' | 'type' | 'rdata'>): string {
  return `${r.name}\t${r.type}\t${r.rdata}`;
}

export function rrsetKey(r: Pick<Rec, 'name' | 'type'>): string {
  return `${r.name}\t${r.type}`;
}

/** Code-unit order, not localeCompare: the same on every machine whatever its locale, and
 * cheap (ICU collation was the largest cost of a 300-change rfc2136 sync). */
const ordinal = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function sortRecords<T extends Rec>(records: readonly T[]): T[] {
  return [...records].sort((a, b) => ordinal(a.name, b.name) || ordinal(a.type, b.type) || ordinal(a.rdata, b.rdata));
}
