import { isIPv4, isIPv6 } from 'node:net';
import { normalizeName } from '../records/name.js';
import { canonicalIPv6, txtRdata, type Rec } from '../records/record.js';

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
  if (name.endsWith('.') && !name.endsWith('\\.')) return normalizeName(name);
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
    const type = typeTok.text.toUpperCase();
    const rdataToks = toks.slice(i + 1);
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
      serialAt: serial ? { line: serial.line, col: serial.col, text: serial.text } : undefined,
    });
  }
  return { origin: normalizeName(origin), entries, records: entries.map((e) => e.record) };
}

function need(toks: Token[], n: number, type: string, at: Token): void {
  if (toks.length !== n) throw new ZoneParseError(at.line, at.col, `${type} needs ${n} rdata field(s), found ${toks.length}`);
}

function num(t: Token, max: number, what: string): number {
  if (!/^\d+$/.test(t.text) || Number(t.text) > max) throw new ZoneParseError(t.line, t.col, `${what} must be a number from 0 to ${max}, found "${t.text}"`);
  return Number(t.text);
}

function nameField(t: Token, origin: string): string {
  const n = absolute(t.text, origin, t);
  return n === '' ? '.' : `${n}.`;
}

/** rdata in srvctl's canonical presentation form (see records/record.ts). */
function canonicalRdata(type: string, toks: Token[], origin: string, at: Token): string {
  switch (type) {
    case 'A':
      need(toks, 1, type, at);
      if (!isIPv4(toks[0]!.text)) throw new ZoneParseError(toks[0]!.line, toks[0]!.col, `"${toks[0]!.text}" is not an IPv4 address`);
      return toks[0]!.text;
    case 'AAAA':
      need(toks, 1, type, at);
      if (!isIPv6(toks[0]!.text)) throw new ZoneParseError(toks[0]!.line, toks[0]!.col, `"${toks[0]!.text}" is not an IPv6 address`);
      return canonicalIPv6(toks[0]!.text);
    case 'SRV':
      need(toks, 4, type, at);
      return `${num(toks[0]!, 65535, 'priority')} ${num(toks[1]!, 65535, 'weight')} ${num(toks[2]!, 65535, 'port')} ${nameField(toks[3]!, origin)}`;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      need(toks, 1, type, at);
      return nameField(toks[0]!, origin);
    case 'MX':
      need(toks, 2, type, at);
      return `${num(toks[0]!, 65535, 'preference')} ${nameField(toks[1]!, origin)}`;
    case 'SOA': {
      need(toks, 7, type, at);
      const nums = toks.slice(2).map((t) => {
        if (!isTtl(t.text)) throw new ZoneParseError(t.line, t.col, `SOA field must be a number, found "${t.text}"`);
        return ttlSeconds(t.text);
      });
      return `${nameField(toks[0]!, origin)} ${nameField(toks[1]!, origin)} ${nums.join(' ')}`;
    }
    case 'TXT':
    case 'SPF':
      if (toks.length === 0) throw new ZoneParseError(at.line, at.col, `${type} needs at least one string`);
      return txtRdata(toks.map((t) => t.text.replace(/\\(\d{3}|.)/g, (_, e: string) => (e.length === 3 ? String.fromCharCode(+e) : e))));
    default:
      // Kept as written: srvctl never rewrites records of types it does not manage.
      return toks.map((t) => (t.quoted ? `"${t.text}"` : t.text)).join(' ');
  }
}
