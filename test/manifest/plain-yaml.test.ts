import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { LineCounter, parseDocument } from 'yaml';
import { readPlainYaml } from '../../src/manifest/plain-yaml.js';
import { PlainSourceMap, YamlSourceMap, type Path } from '../../src/manifest/positions.js';
import { FIXTURES } from '../support/run.js';

/**
 * The plain reader stands in for the yaml package only where it gives the same answer:
 * whenever it reads a text, the yaml package reads it without error to the same values,
 * and every value and key sits at the same line:column. Checked on generated manifests in
 * every style the reader takes, and on the same texts with one character changed.
 */
function agreesWithYaml(text: string): boolean {
  const plain = readPlainYaml(text);
  if (!plain) return false;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: false });
  assert.deepEqual(doc.errors.map((e) => e.message), [], `the plain reader read what the yaml package rejects:\n${text}`);
  assert.deepEqual(doc.warnings.map((e) => e.message), [], text);
  assert.deepEqual(plain.data, doc.toJS(), text);
  const ours = new PlainSourceMap('m.yaml', plain.root, text);
  const theirs = new YamlSourceMap('m.yaml', doc, lineCounter);
  const walk = (value: unknown, path: Path) => {
    for (const key of [false, true]) assert.equal(ours.where(path, key), theirs.where(path, key), `${JSON.stringify(path)} (key: ${key}) in\n${text}`);
    if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, Array.isArray(value) ? Number(k) : k]);
  };
  walk(plain.data, []);
  // A path that is not there: both stop at the same place.
  assert.equal(ours.where(['members', 99, 'name']), theirs.where(['members', 99, 'name']));
  for (const offset of [0, text.length >> 1, text.length]) assert.equal(ours.at(offset), theirs.at(offset));
  return true;
}

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
// Mostly what manifests hold, with some of what the reader must leave to the yaml package.
const scalarText = fc.oneof(
  { arbitrary: word, weight: 8 },
  { arbitrary: fc.stringMatching(/^[a-z0-9.:/@#-]{1,12}( [a-z0-9.#]{1,5})?$/), weight: 2 },
  { arbitrary: fc.constantFrom('true', 'False', '2379', '0', '10.0.0.1', 'http://a.b:2380', 'yes'), weight: 2 },
  { arbitrary: fc.constantFrom('null', '~', '3.5', '07', '-1', '1e3', '.inf', '0x1f', 'a: b', 'a #c', ''), weight: 1 },
  { arbitrary: word.map((w) => `"${w}"`), weight: 1 },
  { arbitrary: word.map((w) => `'${w}'`), weight: 1 },
  { arbitrary: fc.constantFrom('"a\\"b"', "'it''s'", '"x y"', "' '", '""'), weight: 1 },
);
const key = fc.oneof({ arbitrary: word, weight: 10 }, { arbitrary: fc.constantFrom('name', 'host', 'ipv4', 'version', 'members'), weight: 4 }, { arbitrary: fc.constantFrom('__proto__', 'a b', '"q"'), weight: 1 });

type Tree = string | { map: [string, Tree][] } | { seq: Tree[] };
const tree: fc.Arbitrary<Tree> = fc.letrec<{ t: Tree }>((tie) => ({
  t: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarText,
    fc.record({ map: fc.array(fc.tuple(key, tie('t')), { minLength: 1, maxLength: 4 }) }),
    fc.record({ seq: fc.array(tie('t'), { minLength: 1, maxLength: 3 }) }),
  ),
})).t;

interface Style {
  step: number;
  seqSameIndent: boolean;
  flowAt: number;
  comments: boolean;
  spaceInFlow: boolean;
}

function flow(t: Tree, s: Style): string {
  const sp = s.spaceInFlow ? ' ' : '';
  if (typeof t === 'string') return t;
  if ('map' in t) return `{${sp}${t.map.map(([k, v]) => `${k}: ${flow(v, s)}`).join(', ')}${sp}}`;
  return `[${sp}${t.seq.map((v) => flow(v, s)).join(', ')}${sp}]`;
}

/** Block style down to depth `flowAt`, flow style below it. */
function block(t: { map: [string, Tree][] } | { seq: Tree[] }, indent: number, depth: number, s: Style): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  const inline = (v: Tree) => typeof v === 'string' || depth + 1 >= s.flowAt;
  if ('map' in t) {
    for (const [k, v] of t.map) {
      if (inline(v)) lines.push(`${pad}${k}: ${flow(v, s)}${s.comments ? ' # note' : ''}`);
      else {
        lines.push(`${pad}${k}:`);
        const child = v as { map: [string, Tree][] } | { seq: Tree[] };
        lines.push(...block(child, 'seq' in child && s.seqSameIndent ? indent : indent + s.step, depth + 1, s));
      }
    }
  } else {
    for (const v of t.seq) {
      if (typeof v !== 'string' && 'map' in v && !inline(v)) {
        const inner = block(v, indent + 2, depth + 1, s);
        lines.push(`${pad}- ${inner[0]!.slice(indent + 2)}`, ...inner.slice(1));
      } else lines.push(`${pad}- ${inline(v) ? flow(v, s) : '[x]'}`);
    }
    if (s.comments) lines.push(`${pad}# between`);
  }
  return lines;
}

const style = fc.record({ step: fc.constantFrom(2, 4), seqSameIndent: fc.boolean(), flowAt: fc.integer({ min: 1, max: 4 }), comments: fc.boolean(), spaceInFlow: fc.boolean() });
const documents = fc.tuple(fc.array(fc.tuple(key, tree), { minLength: 1, maxLength: 5 }), style, fc.boolean()).map(([pairs, s, header]) => `${header ? '# a manifest\n\n' : ''}${block({ map: pairs }, 0, 0, s).join('\n')}\n`);

describe('the plain YAML reader', () => {
  it('reads the fixture, the starter manifests and a 50-member flow-style manifest as the yaml package does', () => {
    const members = Array.from({ length: 50 }, (_, i) => `  - { name: n${i}, host: n${i}.c.example.com, ipv4: 10.2.0.${i + 1} }`).join('\n');
    const texts = [
      readFileSync(join(FIXTURES, 'cluster.yaml'), 'utf8'),
      `version: 1\ncluster: c\ndomain: c.example.com\nprovider: { type: rfc2136, zone: example.com, server: 127.0.0.1, port: 5353, tsig: { name: srvctl, secretEnv: T } }\nmembers:\n${members}\n`,
    ];
    for (const text of texts) assert.ok(agreesWithYaml(text), `read plainly:\n${text}`);
  });

  it('leaves to the yaml package what it does not take: errors, anchors, tags, escapes, block scalars, duplicates, tabs', () => {
    for (const text of ['a: b\na: c\n', 'a: &x b\nc: *x\n', 'a: !!str 1\n', 'a: |\n  text\n', 'a: "x\\ty"\n', 'a:\n\tb: c\n', 'a: [b\n', 'a: b: c\n', '- a\n', 'a:\n', 'a: 1.5\n', '---\na: b\n', 'a: b\n---\nc: d\n', 'a: "é"\n']) {
      assert.equal(readPlainYaml(text), undefined, text);
    }
  });

  it('leaves to the yaml package the keys its core schema does not read as the same string: null, booleans, over 1,024 characters', () => {
    for (const text of ['null: 1\n', 'Null: 1\n', 'NULL: 1\n', 'True: 1\n', 'TRUE: 1\n', 'false: 1\n', 'true: 1\nTrue: 2\n', 'a: { null: 1 }\n', `k${'x'.repeat(1024)}: 1\n`]) {
      assert.equal(readPlainYaml(text), undefined, text.slice(0, 40));
    }
    for (const text of ['nullable: 1\n', 'true2: 1\n', `k${'x'.repeat(1023)}: 1\n`]) assert.ok(agreesWithYaml(text), text.slice(0, 40));
  });

  it('agrees with the yaml package on generated manifests in every style it reads', () => {
    let read = 0;
    fc.assert(
      fc.property(documents, (text) => {
        if (agreesWithYaml(text)) read++;
      }),
      { numRuns: 400 },
    );
    // Many generated documents hold something the reader leaves alone; about a fifth are read
    // (69 to 88 in ten runs): fewer than 41 means it turned a manifest-shaped text away.
    assert.ok(read > 40, `only ${read} of 400 generated documents were read plainly`);
  });

  it('and on the same texts with one character inserted or removed', () => {
    const edit = fc.tuple(documents, fc.nat(), fc.constantFrom(' ', '\n', ':', '-', '#', '"', "'", '{', '}', ',', '[', ']', 'x', '1', '', '')).map(([text, at, ch]) => {
      const i = at % (text.length + 1);
      return ch === '' ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + ch + text.slice(i);
    });
    fc.assert(fc.property(edit, (text) => void agreesWithYaml(text)), { numRuns: 1500 });
  });
});
