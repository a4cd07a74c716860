import { normalizeName } from '../records/name.js';
import { unescapeOctets, type PresentationWord, type Rec } from '../records/record.js';
import { canonicalRdata as canonicalRdataOf, RdataError, readsPresentation } from './rdata.js';
import { typeName, typeNumber } from './types.js';

/**
 * RFC 1035 §5 master files: $ORIGIN, $TTL, "@", relative names, omitted owner and TTL,
 * parentheses across lines, quoted strings, comments. Each entry keeps the lines it came
 * from, so an editor can change one record and leave every other byte as it was.
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

export interface ParsedZone {
  origin: string;
  entries: ZoneEntry[];
  records: Rec[];
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

interface LogicalLine {
  tokens: Token[];
  startsWithBlank: boolean;
  firstLine: number;
  lastLine: number;
}

function tokenize(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  const lines = text.split('\n');
  let current: LogicalLine | null = null;
  let depth = 0;
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!.replace(/\r$/, '');
    if (depth === 0) {
      current = { tokens: [], startsWithBlank: /^[ \t]/.test(line), firstLine: ln, lastLine: ln };
    }
    const cur = current!;
    cur.lastLine = ln;
    let i = 0;
    while (i < line.length) {
      const c = line[i]!;
      if (c === ' ' || c === '\t') {
        i++;
      } else if (c === ';') {
        break;
      } else if (c === '(') {
        depth++;
        i++;
      } else if (c === ')') {
        if (depth === 0) throw new ZoneParseError(ln + 1, i + 1, 'unbalanced ")"');
        depth--;
        i++;
      } else if (c === '"') {
        let j = i + 1;
        let s = '';
        while (j < line.length && line[j] !== '"') {
          if (line[j] === '\\' && j + 1 < line.length) {
            s += line[j]! + line[j + 1]!;
            j += 2;
          } else s += line[j++]!;
        }
        if (j >= line.length) throw new ZoneParseError(ln + 1, i + 1, 'unterminated quoted string');
        cur.tokens.push({ text: s, quoted: true, line: ln + 1, col: i + 1 });
        i = j + 1;
      } else {
        let j = i;
        let s = '';
        while (j < line.length && !' \t;()"'.includes(line[j]!)) {
          if (line[j] === '\\' && j + 1 < line.length) {
            s += line[j]! + line[j + 1]!;
            j += 2;
          } else s += line[j++]!;
        }
        cur.tokens.push({ text: s, quoted: false, line: ln + 1, col: i + 1 });
        i = j;
      }
    }
    if (depth === 0 && cur.tokens.length > 0) out.push(cur);
  }
  if (depth !== 0 && current) throw new ZoneParseError(current.firstLine + 1, 1, 'unbalanced "(": missing ")"');
  return out;
}

const CLASSES = new Set(['IN', 'CH', 'HS', 'CS']);
const TYPE_RE = /^([A-Z][A-Z0-9]*|TYPE\d+)$/;

function isTtl(s: string): boolean {
  return /^\d+$/.test(s) || /^(\d+[smhdw])+$/i.test(s);
}

function ttlSeconds(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const m of s.toLowerCase().matchAll(/(\d+)([smhdw])/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

function absolute(name: string, origin: string, at: Token): string {
  if (name === '@') return origin;
  if (/(^|[^\\])(\\\\)*\.$/.test(name)) return normalizeName(name);
  if (origin === '' && at) return normalizeName(name);
  return normalizeName(origin ? `${name}.${origin}` : name);
}

/** Parses a master file. `origin` is the zone apex used until a $ORIGIN says otherwise. */
export function parseZone(text: string, origin: string, defaultTtl?: number): ParsedZone {
  let currentOrigin = normalizeName(origin);
  let ttlDefault: number | undefined = defaultTtl;
  let lastOwner: string | undefined;
  let lastTtl: number | undefined;
  const entries: ZoneEntry[] = [];
  for (const ll of tokenize(text)) {
    const toks = ll.tokens;
    const first = toks[0]!;
    if (!ll.startsWithBlank && !first.quoted && first.text.startsWith('$')) {
      const dir = first.text.toUpperCase();
      if (dir === '$ORIGIN') {
        if (!toks[1]) throw new ZoneParseError(first.line, first.col, '$ORIGIN needs a name');
        currentOrigin = absolute(toks[1].text, currentOrigin, toks[1]);
      } else if (dir === '$TTL') {
        if (!toks[1] || !isTtl(toks[1].text)) throw new ZoneParseError(first.line, first.col, '$TTL needs a number of seconds');
        ttlDefault = ttlSeconds(toks[1].text);
      } else if (dir === '$INCLUDE') {
        throw new ZoneParseError(first.line, first.col, '$INCLUDE is not supported: srvctl edits one self-contained file');
      } else {
        throw new ZoneParseError(first.line, first.col, `unknown directive ${first.text}`);
      }
      continue;
    }
    let i = 0;
    let owner: string;
    if (ll.startsWithBlank) {
      if (lastOwner === undefined) throw new ZoneParseError(first.line, first.col, 'record without an owner name, and no earlier owner to repeat');
      owner = lastOwner;
    } else {
      owner = absolute(first.text, currentOrigin, first);
      i = 1;
    }
    const afterOwner = toks[i];
    let ttl: number | undefined;
    for (let k = 0; k < 2 && i < toks.length; k++) {
      const t = toks[i]!.text.toUpperCase();
      if (ttl === undefined && isTtl(t)) {
        ttl = ttlSeconds(t);
        i++;
      } else if (CLASSES.has(t)) {
        if (t !== 'IN') throw new ZoneParseError(toks[i]!.line, toks[i]!.col, `class ${t} is not supported (only IN)`);
        i++;
      }
    }
    const typeTok = toks[i];
    if (!typeTok || !TYPE_RE.test(typeTok.text.toUpperCase())) {
      const at = typeTok ?? toks[toks.length - 1]!;
      throw new ZoneParseError(at.line, at.col, `expected a record type, found ${typeTok ? `"${typeTok.text}"` : 'end of line'}`);
    }
    const code = typeNumber(typeTok.text);
    if (code === undefined) throw new ZoneParseError(typeTok.line, typeTok.col, `unknown record type ${typeTok.text} (write TYPEnnn with RFC 3597 rdata "\\# <length> <hex>")`);
    // TYPE1 is A (RFC 3597 §5): one spelling per type.
    const type = typeName(code);
    const rdataToks = toks.slice(i + 1);
    // RFC 1035 §5.1: without $TTL, a record with no TTL takes the last stated one.
    const ttlInherited = ttl === undefined && ttlDefault === undefined && !(type === 'SOA' && rdataToks[6]);
    if (ttl === undefined) ttl = type === 'SOA' && ttlDefault === undefined && rdataToks[6] ? ttlSeconds(rdataToks[6].text) : ttlDefault ?? lastTtl;
    if (ttl === undefined) throw new ZoneParseError(typeTok.line, typeTok.col, 'no TTL on this record and no $TTL before it');
    lastTtl = ttl;
    lastOwner = owner;
    const rdata = canonicalRdata(type, rdataToks, currentOrigin, typeTok);
    const serial = type === 'SOA' ? rdataToks[2] : undefined;
    entries.push({
      record: { name: owner, type, ttl, rdata },
      firstLine: ll.firstLine,
      lastLine: ll.lastLine,
      ownerExplicit: !ll.startsWithBlank,
      ttlInherited,
      ttlAt: { line: afterOwner!.line, col: afterOwner!.col },
      serialAt: serial ? { line: serial.line, col: serial.col, text: serial.text } : undefined,
    });
  }
  return { origin: normalizeName(origin), entries, records: entries.map((e) => e.record) };
}

/**
 * rdata in srvctl's canonical presentation form (see records/record.ts and dns/rdata.ts):
 * typed for the types srvctl reasons about, RFC 3597 `\# len hex` for every other type it
 * can read; a known type whose own form srvctl cannot read (LOC, APL…) is kept as written.
 */
function canonicalRdata(type: string, toks: Token[], origin: string, at: Token): string {
  const words: PresentationWord[] = toks.map((t) => ({ text: t.text, quoted: t.quoted, octets: unescapeOctets(t.text) }));
  if (!readsPresentation(type) && !(toks[0] && !toks[0].quoted && toks[0].text === '\\#')) {
    return toks.map((t) => (t.quoted ? `"${t.text}"` : t.text)).join(' ');
  }
  try {
    return canonicalRdataOf(type, words, origin);
  } catch (e) {
    const t = e instanceof RdataError && e.word >= 0 ? toks[e.word] ?? at : at;
    throw new ZoneParseError(t.line, t.col, (e as Error).message);
  }
}
