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

/** TXT rdata as quoted character-strings, each at most 255 octets. */
export function txtRdata(strings: readonly string[]): string {
  return strings.map((s) => `"${s.replace(/(["\\])/g, '\\$1')}"`).join(' ');
}

export function parseTxtRdata(rdata: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(rdata); m; m = re.exec(rdata)) {
    const raw = m[1] ?? m[2] ?? '';
    out.push(raw.replace(/\\(\d{3}|.)/g, (_, e: string) => (e.length === 3 ? String.fromCharCode(+e) : e)));
  }
  return out;
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

export function sortRecords<T extends Rec>(records: readonly T[]): T[] {
  return [...records].sort(
    (a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type) || a.rdata.localeCompare(b.rdata),
  );
}
