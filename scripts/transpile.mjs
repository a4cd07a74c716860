// Test build: every TypeScript file of src/, providers/, test/ and bench/ to dist/ as tsc
// would lay it out (rootDir "."), types stripped by esbuild in about a second. tsc then
// type-checks with --noEmit while the tests run (scripts/test.mjs), instead of holding
// one of the two cores for its ~15 s of emit before the first test can start. The shipped
// bundle is esbuild output too (scripts/bundle.mjs), so the tests run what users run.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function files(dir, out = []) {
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) files(path, out);
    else out.push(path);
  }
  return out;
}

const all = ['src', 'providers', 'test', 'bench'].flatMap((d) => files(d));
const sources = all.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.d.cts'));
await build({
  entryPoints: sources.map((f) => join(root, f)),
  outdir: join(root, 'dist'),
  outbase: root,
  tsconfig: join(root, 'tsconfig.json'),
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Node 20 reads `with { type: 'json' }` (the schema import); esbuild's node20 table predates it.
  supported: { 'import-attributes': true },
  sourcemap: true,
  logLevel: 'warning',
});
// JSON the sources import (the schema), where tsc's resolveJsonModule would copy it.
for (const f of all.filter((x) => x.endsWith('.json'))) {
  mkdirSync(dirname(join(root, 'dist', f)), { recursive: true });
  copyFileSync(join(root, f), join(root, 'dist', f));
}
