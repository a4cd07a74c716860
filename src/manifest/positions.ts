import { isMap, isSeq, isPair, isScalar, LineCounter, type Document, type Node } from 'yaml';

export type Path = readonly (string | number)[];

/**
 * Maps a path in the parsed manifest to its `line:column` in the YAML source, so every
 * finding names the place an operator has to edit.
 */
export class SourceMap {
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
