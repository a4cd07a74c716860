import { isMap, isSeq, isPair, isScalar, LineCounter, type Document, type Node } from 'yaml';
import type { PlainNode } from './plain-yaml.js';

export type Path = readonly (string | number)[];

/**
 * Maps a path in the parsed manifest to its `line:column` in the YAML source, so every
 * finding names the place an operator has to edit.
 */
export interface SourceMap {
  /** `file:line:column` of an offset into the source */
  at(offset: number): string;
  /** The value at `path`; with `key` true, the key of the last step (for unknown keys). */
  where(path: Path, key?: boolean): string;
}

/** SourceMap over the yaml package's document. */
export class YamlSourceMap implements SourceMap {
  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  at(offset: number): string {
    const { line, col } = this.lines.linePos(offset);
    return `${this.file}:${line}:${col}`;
  }

  /** The value at `path`; with `key` true, the key of the last step (for unknown keys). */
  where(path: Path, key = false): string {
    let node: unknown = this.doc.contents;
    let offset = 0;
    for (let i = 0; i < path.length; i++) {
      const step = path[i]!;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step));
        if (!pair) break;
        const last = i === path.length - 1;
        const target = (last && key ? pair.key : pair.value ?? pair.key) as Node | null;
        if (target?.range) offset = target.range[0];
        node = last && key ? pair.key : pair.value;
      } else if (isSeq(node) && typeof step === 'number') {
        const item = node.items[step] as Node | undefined;
        if (!item) break;
        if (item.range) offset = item.range[0];
        node = item;
      } else {
        break;
      }
    }
    if (path.length === 0 || offset === 0) {
      const contents = this.doc.contents as Node | null;
      if (path.length === 0 || !contents?.range) return this.at(contents?.range?.[0] ?? 0);
    }
    return this.at(offset);
  }
}

/**
 * SourceMap over plain-yaml.ts's nodes: the same walk as YamlSourceMap's, so a manifest
 * read either way names the same places.
 */
export class PlainSourceMap implements SourceMap {
  private readonly lineStarts: number[] = [0];

  constructor(
    private readonly file: string,
    private readonly root: PlainNode,
    text: string,
  ) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  at(offset: number): string {
    // The last line start at or before the offset (as LineCounter.linePos finds it).
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return `${this.file}:${lo + 1}:${offset - this.lineStarts[lo]! + 1}`;
  }

  where(path: Path, key = false): string {
    let node: PlainNode | undefined = this.root;
    let offset = 0;
    for (let i = 0; i < path.length; i++) {
      const step = path[i]!;
      if (node?.kind === 'map') {
        const pair: { key: string; keyStart: number; value: PlainNode } | undefined = node.pairs.find((p) => p.key === String(step));
        if (!pair) break;
        const last = i === path.length - 1;
        offset = last && key ? pair.keyStart : pair.value.start;
        // A key is a scalar: a step past it finds nothing, as in the yaml package's tree.
        node = last && key ? { kind: 'scalar', start: pair.keyStart } : pair.value;
      } else if (node?.kind === 'seq' && typeof step === 'number') {
        const item: PlainNode | undefined = node.items[step];
        if (!item) break;
        offset = item.start;
        node = item;
      } else {
        break;
      }
    }
    // As YamlSourceMap: the document's start for the empty path (offset 0 otherwise stays 0).
    return this.at(path.length === 0 ? this.root.start : offset);
  }
}
