// Build step: bundles the CLI from its TypeScript sources (src/cli.ts; esbuild strips the
// types, tsc type-checks separately) into dist/bundle/, one chunk per
// lazily imported command and provider. Start-up then reads a handful of files instead
// of hundreds of CommonJS modules (yaml alone is 228), and the Cloudflare SDK becomes one
// chunk that only the cloudflare provider imports. The package's bin points here.
// dist/bundle/chunks.json names the chunk holding each heavy dependency, so the
// import-trace test can prove which commands load it.
import { build } from 'esbuild';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/bundle');
// Chunk names carry content hashes: without emptying the folder, every rebuild would leave
// the previous chunks (and any old source maps) behind, and npm pack would ship them.
rmSync(outdir, { recursive: true, force: true });

// The manifest validator is generated (scripts/build-validator.mjs) into dist/, not src/.
const generatedValidator = {
  name: 'generated-validator',
  setup(b) {
    b.onResolve({ filter: /validate-manifest\.cjs$/ }, () => ({ path: join(root, 'dist/src/manifest/validate-manifest.cjs') }));
  },
};

const result = await build({
  entryPoints: [join(root, 'src/cli.ts')],
  tsconfig: join(root, 'tsconfig.json'),
  plugins: [generatedValidator],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS dependencies call require(); an ESM chunk has none of its own.
  banner: { js: "import { createRequire as __srvctlRequire } from 'node:module'; const require = __srvctlRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});
chmodSync(join(outdir, 'cli.js'), 0o755);

const heavy = { cloudflare: 'node_modules/cloudflare/' };
const chunks = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (!file.endsWith('.js')) continue;
  for (const [name, marker] of Object.entries(heavy)) {
    if (Object.keys(out.inputs).some((input) => input.includes(marker))) (chunks[name] ??= []).push(relative(outdir, join(root, file)));
  }
}
writeFileSync(join(outdir, 'chunks.json'), `${JSON.stringify(chunks, null, 2)}\n`);
