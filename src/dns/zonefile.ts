import { normalizeName } from '../records/name.js';
import { unescapeOctets, type PresentationWord, type Rec } from '../records/record.js';
import { canonicalRdata as canonicalRdataOf, RdataError, readsPresentation } from './rdata.js';
import { typeName, typeNumber } from './types.js';

/**
 * RFC 1035 §5 master files: $ORIGIN, $TTL, "@", relative names, omitted owner and TTL,
 * parentheses across lines, quoted strings, comments. Each entry keeps the lines it came
 * from, so an editor can change one record and leave every other byte as it was.
 *
 * Built for million-record files: the text is read line by line in place (no split), every
 * token is a slice of it (escapes are kept as written, so a token is exactly its source
 * characters), the tokens of one logical line live in arrays reused for the next, and the
 * common rdata (A, SRV, NS, CNAME, plain TXT) is written in canonical form straight from
 * its words when they are already canonical — anything else goes the general way, through
 * the wire form, so both paths give the same string.
 */
export interface ZoneEntry {
  record: Rec;
  /** 0-based line index range [first, last] in the source */
  firstLine: number;
  lastLine: number;
  /** the owner was written on this entry (not inherited from the line before) */
  ownerExplicit: boolean;
  /** no TTL written and no $TTL in force: the TTL came from the line before (RFC 1035 §5.1) */
  ttlInherited: boolean;
  /** where a TTL would be written (1-based line and column of the first field after the owner) */
  ttlAt: { line: number; col: number };
  /** SOA only: where the serial is written (1-based line and column) */
  serialAt?: { line: number; col: number; text: string };
}

/** The records of a zone file: what a reader (plan, drift, the server) needs. */
export interface ZoneRecords {
  origin: string;
  records: Rec[];
}

/** The records and, for an editor, where each came from. */
export interface ParsedZone extends ZoneRecords {
  entries: ZoneEntry[];
}

export class ZoneParseError extends Error {
  constructor(
    readonly line: number, // 1-based
    readonly column: number, // 1-based
    message: string,
  ) {
    super(message);
  }
}

interface Token {
  text: string;
  quoted: boolean;
  line: number;
  col: number;
}

/** An entry keeps its TTL position as two numbers; the object is made only when asked for. */
class Entry implements ZoneEntry {
  constructor(
    readonly record: Rec,
    readonly firstLine: number,
    readonly lastLine: number,
    readonly ownerExplicit: boolean,
    readonly ttlInherited: boolean,
    private readonly ttlLine: number,
    private readonly ttlCol: number,
    readonly serialAt: { line: number; col: number; text: string } | undefined,
  ) {}

  get ttlAt(): { line: number; col: number } {
    return { line: this.ttlLine, col: this.ttlCol };
  }
}

/** The tokens of one logical line, as parallel arrays reused from line to line. */
class Tokens {
  n = 0;
  readonly text: string[] = [];
  readonly quoted: boolean[] = [];
  readonly line: number[] = [];
  readonly col: number[] = [];

  push(text: string, quoted: boolean, line: number, col: number): void {
    const k = this.n++;
    this.text[k] = text;
    this.quoted[k] = quoted;
    this.line[k] = line;
    this.col[k] = col;
  }

  token(k: number): Token {
    return { text: this.text[k]!, quoted: this.quoted[k]!, line: this.line[k]!, col: this.col[k]! };
  }
}

const CLASSES = new Set(['IN', 'CH', 'HS', 'CS']);
const TYPE_RE = /^([A-Z][A-Z0-9]*|TYPE\d+)$/;

function isTtl(s: string): boolean {
  const c = s.charCodeAt(0);
  if (!(c >= 48 && c <= 57)) return false; // both forms start with a digit
  return /^\d+$/.test(s) || /^(\d+[smhdw])+$/i.test(s);
}

function ttlSeconds(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const m of s.toLowerCase().matchAll(/(\d+)([smhdw])/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

/** ends in a dot that is not escaped */
function endsAbsolute(name: string): boolean {
  if (!name.includes('\\')) return name.endsWith('.');
  return /(^|[^\\])(\\\\)*\.$/.test(name);
}

function absolute(name: string, origin: string): string {
  if (name === '@') return origin;
  if (endsAbsolute(name)) return normalizeName(name);
  if (origin === '') return normalizeName(name);
  return normalizeName(`${name}.${origin}`);
}

/** Record type spellings seen (TYPE1 and a are both A), so each is looked up once. */
const typeOf = new Map<string, string>();

/** Parses a master file. `origin` is the zone apex used until a $ORIGIN says otherwise. */
export function parseZone(text: string, origin: string, defaultTtl?: number): ParsedZone {
  return parse(text, origin, defaultTtl, true);
}

/** The same parse (same records, same errors) without the entries an editor needs: less memory for a reader. */
export function parseZoneRecords(text: string, origin: string): ZoneRecords {
  const { entries: _, ...zone } = parse(text, origin, undefined, false);
  return zone;
}

function parse(text: string, origin: string, defaultTtl: number | undefined, withEntries: boolean): ParsedZone {
  let currentOrigin = normalizeName(origin);
  let simpleOrigin = isSimpleName(currentOrigin);
  let ttlDefault: number | undefined = defaultTtl;
  let lastOwner: string | undefined;
  let lastTtl: number | undefined;
  const entries: ZoneEntry[] = [];
  const records: Rec[] = [];
  const toks = new Tokens();

  /** One logical line: a directive or a record. */
  const logicalLine = (startsWithBlank: boolean, firstLine: number, lastLine: number) => {
    const n = toks.n;
    const T = toks.text;
    if (!startsWithBlank && !toks.quoted[0] && T[0]!.startsWith('$')) {
      const dir = T[0]!.toUpperCase();
      if (dir === '$ORIGIN') {
        if (n < 2) throw new ZoneParseError(toks.line[0]!, toks.col[0]!, '$ORIGIN needs a name');
        currentOrigin = absolute(T[1]!, currentOrigin);
        simpleOrigin = isSimpleName(currentOrigin);
      } else if (dir === '$TTL') {
        if (n < 2 || !isTtl(T[1]!)) throw new ZoneParseError(toks.line[0]!, toks.col[0]!, '$TTL needs a number of seconds');
        ttlDefault = ttlSeconds(T[1]!);
      } else if (dir === '$INCLUDE') {
        throw new ZoneParseError(toks.line[0]!, toks.col[0]!, '$INCLUDE is not supported: srvctl edits one self-contained file');
      } else {
        throw new ZoneParseError(toks.line[0]!, toks.col[0]!, `unknown directive ${T[0]}`);
      }
      return;
    }
    let i = 0;
    let owner: string;
    if (startsWithBlank) {
      if (lastOwner === undefined) throw new ZoneParseError(toks.line[0]!, toks.col[0]!, 'record without an owner name, and no earlier owner to repeat');
      owner = lastOwner;
    } else {
      owner = absolute(T[0]!, currentOrigin);
      i = 1;
    }
    const afterOwner = i;
    let ttl: number | undefined;
    for (let k = 0; k < 2 && i < n; k++) {
      const t = T[i]!.toUpperCase();
      if (ttl === undefined && isTtl(t)) {
        ttl = ttlSeconds(t);
        i++;
      } else if (CLASSES.has(t)) {
        if (t !== 'IN') throw new ZoneParseError(toks.line[i]!, toks.col[i]!, `class ${t} is not supported (only IN)`);
        i++;
      }
    }
    // A spelling already in typeOf passed TYPE_RE before.
    if (i >= n || (!typeOf.has(T[i]!) && !TYPE_RE.test(T[i]!.toUpperCase()))) {
      const at = i < n ? i : n - 1;
      throw new ZoneParseError(toks.line[at]!, toks.col[at]!, `expected a record type, found ${i < n ? `"${T[i]}"` : 'end of line'}`);
    }
    const typeAt = i;
    let type = typeOf.get(T[typeAt]!);
    if (type === undefined) {
      const code = typeNumber(T[typeAt]!);
      if (code === undefined) throw new ZoneParseError(toks.line[typeAt]!, toks.col[typeAt]!, `unknown record type ${T[typeAt]} (write TYPEnnn with RFC 3597 rdata "\\# <length> <hex>")`);
      // TYPE1 is A (RFC 3597 §5): one spelling per type.
      type = typeName(code);
      typeOf.set(T[typeAt]!, type);
    }
    const rd = typeAt + 1; // the rdata words are [rd, n)
    const soaMinimum = type === 'SOA' && n > rd + 6;
    // RFC 1035 §5.1: without $TTL, a record with no TTL takes the last stated one.
    const ttlInherited = ttl === undefined && ttlDefault === undefined && !soaMinimum;
    if (ttl === undefined) ttl = type === 'SOA' && ttlDefault === undefined && soaMinimum ? ttlSeconds(T[rd + 6]!) : ttlDefault ?? lastTtl;
    if (ttl === undefined) throw new ZoneParseError(toks.line[typeAt]!, toks.col[typeAt]!, 'no TTL on this record and no $TTL before it');
    lastTtl = ttl;
    lastOwner = owner;
    const rdata = canonicalRdata(type, toks, rd, currentOrigin, simpleOrigin, typeAt);
    const serial = type === 'SOA' && n > rd + 2 ? { line: toks.line[rd + 2]!, col: toks.col[rd + 2]!, text: T[rd + 2]! } : undefined;
    const record: Rec = { name: owner, type, ttl, rdata };
    records.push(record);
    if (withEntries) entries.push(new Entry(record, firstLine, lastLine, !startsWithBlank, ttlInherited, toks.line[afterOwner]!, toks.col[afterOwner]!, serial));
  };

  // A record's error waits until the whole text is tokenized: a tokenizing error (an
  // unbalanced parenthesis, an unterminated string) anywhere in the file is reported first.
  let failed: unknown;
  let depth = 0;
  let startsWithBlank = false;
  let firstLine = 0;
  const len = text.length;
  let pos = 0;
  for (let ln = 0; ; ln++) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    const lineEnd = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (depth === 0) {
      toks.n = 0;
      const c0 = text.charCodeAt(pos);
      startsWithBlank = pos < lineEnd && (c0 === 32 || c0 === 9);
      firstLine = ln;
    }
    let i = pos;
    while (i < lineEnd) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9) {
        i++;
      } else if (c === 59 /* ; */) {
        break;
      } else if (c === 40 /* ( */) {
        depth++;
        i++;
      } else if (c === 41 /* ) */) {
        if (depth === 0) throw new ZoneParseError(ln + 1, i - pos + 1, 'unbalanced ")"');
        depth--;
        i++;
      } else if (c === 34 /* " */) {
        let j = i + 1;
        for (;;) {
          if (j >= lineEnd) throw new ZoneParseError(ln + 1, i - pos + 1, 'unterminated quoted string');
          const d = text.charCodeAt(j);
          if (d === 34) break;
          j += d === 92 && j + 1 < lineEnd ? 2 : 1;
        }
        if (failed === undefined) toks.push(text.slice(i + 1, j), true, ln + 1, i - pos + 1);
        i = j + 1;
      } else {
        let j = i;
        while (j < lineEnd) {
          const d = text.charCodeAt(j);
          if (d === 32 || d === 9 || d === 59 || d === 40 || d === 41 || d === 34) break;
          j += d === 92 && j + 1 < lineEnd ? 2 : 1;
        }
        if (failed === undefined) toks.push(text.slice(i, j), false, ln + 1, i - pos + 1);
        i = j;
      }
    }
    if (depth === 0 && toks.n > 0 && failed === undefined) {
      try {
        logicalLine(startsWithBlank, firstLine, ln);
      } catch (e) {
        failed = e;
      }
    }
    if (end >= len) break;
    pos = end + 1;
  }
  if (depth !== 0) throw new ZoneParseError(firstLine + 1, 1, 'unbalanced "(": missing ")"');
  if (failed !== undefined) throw failed;
  return { origin: normalizeName(origin), entries, records };
}

/** Positions in `records` by owner name, built once per parsed zone. */
const indexes = new WeakMap<ZoneRecords, Map<string, number[]>>();

function indexOf(zone: ZoneRecords): Map<string, number[]> {
  let index = indexes.get(zone);
  if (!index) {
    index = new Map();
    zone.records.forEach((r, i) => {
      const list = index!.get(r.name);
      if (list) list.push(i);
      else index!.set(r.name, [i]);
    });
    indexes.set(zone, index);
  }
  return index;
}

/** The records of a parsed zone at one owner name (empty when none), from an index built on first use. */
export function recordsAt(zone: ZoneRecords, name: string): Rec[] {
  return (indexOf(zone).get(name) ?? []).map((i) => zone.records[i]!);
}

/** The records at any of `names`, in zone order (what a filter of `records` returns), from the index. */
export function recordsAtNames(zone: ZoneRecords, names: Iterable<string>): Rec[] {
  const index = indexOf(zone);
  const at: number[] = [];
  for (const n of new Set(names)) for (const i of index.get(n) ?? []) at.push(i);
  return at.sort((a, b) => a - b).map((i) => zone.records[i]!);
}

/** letters, digits, hyphen and underscore in labels of 1–63: a name whose canonical form is its lower case */
const SIMPLE_NAME = /^[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*$/;

function isSimpleName(name: string): boolean {
  return name === '' || (name.length <= 250 && SIMPLE_NAME.test(name));
}

/** a dotted quad as isIPv4 reads it and ipv4Text writes it: no leading zeros, each part at most 255 */
const CANONICAL_IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const CANONICAL_U16 = /^(0|[1-9]\d{0,4})$/;

/** A name field already in simple form, absolute or relative to a simple origin: its canonical text, else undefined. */
function simpleNameText(t: string, origin: string, simpleOrigin: boolean): string | undefined {
  if (t.endsWith('.')) {
    const bare = t.slice(0, -1);
    return isSimpleName(bare) && bare !== '' ? `${bare.toLowerCase()}.` : undefined;
  }
  if (!simpleOrigin || t === '@' || !isSimpleName(t) || t === '') return undefined;
  const full = origin === '' ? t : `${t}.${origin}`;
  return full.length <= 250 ? `${full.toLowerCase()}.` : undefined;
}

/** printable ASCII other than `"` and `\`: a TXT word that is its own canonical character-string */
const PLAIN_TXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]{0,255}$/;

/** The canonical rdata of the common types when the words are already canonical; undefined sends them the general way. */
function fastRdata(type: string, toks: Tokens, from: number, origin: string, simpleOrigin: boolean): string | undefined {
  const T = toks.text;
  const count = toks.n - from;
  switch (type) {
    case 'A':
      return count === 1 && !toks.quoted[from] && CANONICAL_IPV4.test(T[from]!) ? T[from] : undefined;
    case 'NS':
    case 'CNAME':
      return count === 1 && !toks.quoted[from] ? simpleNameText(T[from]!, origin, simpleOrigin) : undefined;
    case 'SRV': {
      if (count !== 4 || toks.quoted[from] || toks.quoted[from + 1] || toks.quoted[from + 2] || toks.quoted[from + 3]) return undefined;
      for (let k = from; k < from + 3; k++) if (!CANONICAL_U16.test(T[k]!) || Number(T[k]) > 65535) return undefined;
      const target = simpleNameText(T[from + 3]!, origin, simpleOrigin);
      return target === undefined ? undefined : `${T[from]} ${T[from + 1]} ${T[from + 2]} ${target}`;
    }
    case 'TXT': {
      if (count === 0) return undefined;
      let out = '';
      for (let k = from; k < toks.n; k++) {
        if (!PLAIN_TXT.test(T[k]!)) return undefined;
        out += k === from ? `"${T[k]}"` : ` "${T[k]}"`;
        if (out.length > 60_000) return undefined; // near the rdata limit: the general path says so
      }
      return out;
    }
    default:
      return undefined;
  }
}

/**
 * rdata in srvctl's canonical presentation form (see records/record.ts and dns/rdata.ts):
 * typed for the types srvctl reasons about, RFC 3597 `\# len hex` for every other type it
 * can read; a known type whose own form srvctl cannot read (LOC, APL…) is kept as written.
 */
function canonicalRdata(type: string, toks: Tokens, from: number, origin: string, simpleOrigin: boolean, typeAt: number): string {
  const fast = fastRdata(type, toks, from, origin, simpleOrigin);
  if (fast !== undefined) return fast;
  const list: Token[] = [];
  for (let k = from; k < toks.n; k++) list.push(toks.token(k));
  const words: PresentationWord[] = list.map((t) => ({ text: t.text, quoted: t.quoted, octets: unescapeOctets(t.text) }));
  if (!readsPresentation(type) && !(list[0] && !list[0].quoted && list[0].text === '\\#')) {
    return list.map((t) => (t.quoted ? `"${t.text}"` : t.text)).join(' ');
  }
  try {
    return canonicalRdataOf(type, words, origin);
  } catch (e) {
    const at = toks.token(typeAt);
    const t = e instanceof RdataError && e.word >= 0 ? list[e.word] ?? at : at;
    throw new ZoneParseError(t.line, t.col, (e as Error).message);
  }
}
