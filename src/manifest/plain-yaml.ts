/**
 * A reader for the plain YAML that manifests are written in: block mappings and sequences,
 * one-line flow mappings and sequences, plain and simple quoted scalars, comments. It
 * returns what the yaml package would (the same values, the same node start offsets),
 * or undefined for anything else — anchors, tags, block scalars, escapes, multi-line
 * scalars, empty values, duplicate keys, tabs, non-ASCII, any syntax error — and the
 * caller then parses with the yaml package, whose errors and positions stay the reference.
 * Why: the yaml package run cold (once per process) was the largest part of a sync's CPU
 * after start-up (a 50-member manifest: about 15 ms, this reader well under 1 ms).
 * test/manifest/plain-yaml.test.ts holds it to the yaml package on generated documents.
 */

/** A node as SourceMap needs it: its kind, where it starts, its keys and where they start. */
export type PlainNode =
  | { kind: 'map'; start: number; pairs: { key: string; keyStart: number; value: PlainNode }[] }
  | { kind: 'seq'; start: number; items: PlainNode[] }
  | { kind: 'scalar'; start: number };

export interface PlainDocument {
  /** the document's mapping, as the yaml package's toJS() gives it */
  data: Record<string, unknown>;
  root: PlainNode;
}

/** Thrown inside the reader for anything outside the subset; never escapes it. */
class NotPlain extends Error {}
const notPlain = (): never => {
  throw new NotPlain();
};

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*/;
// The YAML 1.2 core schema's tests, as the yaml package applies them to plain scalars.
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const OTHER_TAGS = [/^(?:~|[Nn]ull|NULL)?$/, /^0o[0-7]+$/, /^0x[0-9a-fA-F]+$/, /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/, /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/];
const INT = /^[-+]?[0-9]+$/;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
// Characters a plain scalar may not start with here (YAML indicators, and '-' for safety).
const INDICATOR = /[-?:,[\]{}#&*!|>'"%@`]/;

/**
 * Whether a key is the same string to the yaml package: not one its core schema reads as
 * another type (`null:`, `True:` — a key "" or "true" there, and a duplicate of `true:`),
 * not one it refuses (a plain key over 1,024 characters), not `__proto__`.
 */
function stringKey(key: string): boolean {
  return key.length <= 1024 && key !== '__proto__' && !BOOL.test(key) && !OTHER_TAGS[0]!.test(key);
}

interface Line {
  indent: number;
  /** offset of the first character after the indentation */
  at: number;
  /** offset of the line's end (its newline or the end of the text) */
  end: number;
}

export function readPlainYaml(text: string): PlainDocument | undefined {
  // Printable ASCII and newlines only: no tabs, CR, BOM or other characters with rules of their own.
  if (!/^[\x20-\x7e\n]*$/.test(text)) return undefined;
  try {
    return new Reader(text).document();
  } catch (e) {
    if (e instanceof NotPlain) return undefined;
    throw e;
  }
}

class Reader {
  private readonly lines: Line[] = [];
  private i = 0;

  constructor(private readonly text: string) {
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      let at = start;
      while (at < end && text[at] === ' ') at++;
      // Blank and comment-only lines carry nothing.
      if (at < end && text[at] !== '#') this.lines.push({ indent: at - start, at, end });
      start = end + 1;
    }
  }

  document(): PlainDocument {
    const first = this.lines[0];
    if (!first || first.indent !== 0) notPlain();
    const { node, data } = this.block(0);
    if (node.kind !== 'map' || this.i !== this.lines.length) notPlain();
    return { data: data as Record<string, unknown>, root: node };
  }

  /** A block collection whose first line is this.lines[this.i], at `indent`. */
  private block(indent: number): { node: PlainNode; data: unknown } {
    const line = this.lines[this.i]!;
    if (line.indent !== indent) notPlain();
    return this.isItem(line) ? this.sequence(indent) : this.mapping(indent, line.at);
  }

  private isItem(line: Line): boolean {
    return this.text[line.at] === '-' && (line.at + 1 === line.end || this.text[line.at + 1] === ' ');
  }

  /** Block mapping entries from offset `at` of the current line, then from lines at `indent`. */
  private mapping(indent: number, at: number): { node: PlainNode; data: unknown } {
    const pairs: { key: string; keyStart: number; value: PlainNode }[] = [];
    const data: Record<string, unknown> = {};
    const seen = new Set<string>();
    let from = at;
    for (;;) {
      const line = this.lines[this.i]!;
      const key = KEY.exec(this.text.slice(from, line.end))?.[0];
      if (!key) notPlain();
      let p = from + key!.length;
      if (this.text[p] !== ':') notPlain();
      p++;
      // Duplicate keys are the yaml package's error to report; a key like __proto__ its to handle.
      if (seen.has(key!) || !stringKey(key!)) notPlain();
      seen.add(key!);
      const rest = this.skipSpaces(p, line.end);
      let value: { node: PlainNode; data: unknown };
      if (rest === line.end || (this.text[rest] === '#' && rest > p)) {
        // The value is the block on the next lines: deeper, or a sequence at this indent.
        this.i++;
        const next = this.lines[this.i];
        if (!next) notPlain();
        if (next!.indent > indent) value = this.block(next!.indent);
        else if (next!.indent === indent && this.isItem(next!)) value = this.sequence(indent);
        else value = notPlain();
      } else {
        if (rest === p) notPlain(); // "key:value" is a plain scalar, not a pair
        value = this.inlineToLineEnd(rest, line.end);
        this.i++;
      }
      pairs.push({ key: key!, keyStart: from, value: value.node });
      data[key!] = value.data;
      const next = this.lines[this.i];
      if (!next || next.indent < indent) break;
      if (next.indent > indent || this.isItem(next)) notPlain();
      from = next.at;
    }
    return { node: { kind: 'map', start: at, pairs }, data };
  }

  private sequence(indent: number): { node: PlainNode; data: unknown } {
    const items: PlainNode[] = [];
    const data: unknown[] = [];
    const start = this.lines[this.i]!.at;
    for (;;) {
      const line = this.lines[this.i]!;
      const content = this.skipSpaces(line.at + 1, line.end);
      if (content === line.end || this.text[content] === '#') notPlain(); // nested block items: not here
      let item: { node: PlainNode; data: unknown };
      const ch = this.text[content]!;
      if (ch !== '{' && ch !== '[' && ch !== '"' && ch !== "'" && KEY.test(this.text.slice(content, line.end)) && this.pairFollows(content, line.end)) {
        // "- key: value" opens a block mapping whose keys line up with this first one.
        const column = content - (line.at - line.indent);
        item = this.mapping(column, content);
      } else {
        item = this.inlineToLineEnd(content, line.end);
        this.i++;
      }
      items.push(item.node);
      data.push(item.data);
      const next = this.lines[this.i];
      if (!next || next.indent < indent) break;
      if (next.indent > indent || !this.isItem(next)) notPlain();
    }
    return { node: { kind: 'seq', start, items }, data };
  }

  /** Whether the text at `p` is `key:` followed by a space or the line's end. */
  private pairFollows(p: number, end: number): boolean {
    const key = KEY.exec(this.text.slice(p, end))![0];
    const after = p + key.length;
    return this.text[after] === ':' && (after + 1 === end || this.text[after + 1] === ' ');
  }

  /** One inline value from `p`; only spaces and a comment may follow it on the line. */
  private inlineToLineEnd(p: number, end: number): { node: PlainNode; data: unknown } {
    const v = this.inline(p, end, false);
    const q = this.skipSpaces(v.end, end);
    if (q !== end && !(this.text[q] === '#' && q > v.end)) notPlain();
    return v;
  }

  private inline(p: number, end: number, flow: boolean): { node: PlainNode; data: unknown; end: number } {
    const ch = this.text[p];
    if (ch === '{') return this.flowMap(p, end);
    if (ch === '[') return this.flowSeq(p, end);
    if (ch === '"' || ch === "'") {
      const close = this.text.indexOf(ch, p + 1);
      if (close < 0 || close >= end) notPlain();
      const body = this.text.slice(p + 1, close);
      // Escapes ("\n", '') have rules of their own: the yaml package's.
      if ((ch === '"' && body.includes('\\')) || (ch === "'" && this.text[close + 1] === "'")) notPlain();
      return { node: { kind: 'scalar', start: p }, data: body, end: close + 1 };
    }
    if (ch === undefined || INDICATOR.test(ch)) notPlain();
    let q = p;
    while (q < end) {
      const c = this.text[q]!;
      if (c === ' ' && this.text[q + 1] === '#') break;
      if (c === ':' && (q + 1 === end || this.text[q + 1] === ' ' || (flow && ',[]{}'.includes(this.text[q + 1]!)))) notPlain();
      if (flow && ',[]{}'.includes(c)) break;
      if (c === '#' && this.text[q - 1] === ' ') break;
      q++;
    }
    let last = q;
    while (last > p && this.text[last - 1] === ' ') last--;
    return { node: { kind: 'scalar', start: p }, data: plainValue(this.text.slice(p, last)), end: last };
  }

  private flowMap(p: number, end: number): { node: PlainNode; data: unknown; end: number } {
    const pairs: { key: string; keyStart: number; value: PlainNode }[] = [];
    const data: Record<string, unknown> = {};
    let q = this.skipSpaces(p + 1, end);
    if (this.text[q] === '}') return { node: { kind: 'map', start: p, pairs }, data, end: q + 1 };
    for (;;) {
      const key = KEY.exec(this.text.slice(q, end))?.[0];
      if (!key || this.text[q + key.length] !== ':' || this.text[q + key.length + 1] !== ' ') notPlain();
      if (Object.hasOwn(data, key!) || !stringKey(key!)) notPlain();
      const v = this.inline(this.skipSpaces(q + key!.length + 1, end), end, true);
      pairs.push({ key: key!, keyStart: q, value: v.node });
      data[key!] = v.data;
      q = this.skipSpaces(v.end, end);
      if (this.text[q] === '}') return { node: { kind: 'map', start: p, pairs }, data, end: q + 1 };
      if (this.text[q] !== ',') notPlain();
      q = this.skipSpaces(q + 1, end);
      if (this.text[q] === '}') notPlain(); // a trailing comma: the yaml package's to judge
    }
  }

  private flowSeq(p: number, end: number): { node: PlainNode; data: unknown; end: number } {
    const items: PlainNode[] = [];
    const data: unknown[] = [];
    let q = this.skipSpaces(p + 1, end);
    if (this.text[q] === ']') return { node: { kind: 'seq', start: p, items }, data, end: q + 1 };
    for (;;) {
      const v = this.inline(q, end, true);
      // "[a: b]" is a one-pair mapping in YAML: left to the yaml package.
      if (v.node.kind === 'scalar' && this.text[this.skipSpaces(v.end, end)] === ':') notPlain();
      items.push(v.node);
      data.push(v.data);
      q = this.skipSpaces(v.end, end);
      if (this.text[q] === ']') return { node: { kind: 'seq', start: p, items }, data, end: q + 1 };
      if (this.text[q] !== ',') notPlain();
      q = this.skipSpaces(q + 1, end);
      if (this.text[q] === ']') notPlain();
    }
  }

  private skipSpaces(p: number, end: number): number {
    while (p < end && this.text[p] === ' ') p++;
    return p;
  }
}

/** A plain scalar's value under the core schema: strings, booleans and decimal integers here. */
function plainValue(s: string): unknown {
  if (BOOL.test(s)) return s[0] === 't' || s[0] === 'T';
  if (INT.test(s)) {
    if (!DECIMAL.test(s) || !Number.isSafeInteger(Number(s))) notPlain();
    return Number(s);
  }
  if (OTHER_TAGS.some((t) => t.test(s))) notPlain();
  return s;
}
