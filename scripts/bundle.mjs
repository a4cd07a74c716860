// Build step: bundles the CLI from its TypeScript sources (src/cli.ts; esbuild strips the
// types, tsc type-checks separately) into dist/bundle/:
//   cli.js            the bin: a small loader (scripts/cli-loader.cjs)
//   app.cjs           srvctl and its dependencies in one CommonJS file; commands and
//                     providers stay lazily initialised (esbuild's __esm wrappers)
//   app.cjs.cache     V8's code cache for app.cjs, written by training runs below
//   chunks/cloudflare-sdk.mjs  the Cloudflare SDK, imported only by the cloudflare provider
//   chunks.json       names the chunk holding each heavy dependency (the import-trace test)
//   package.json      {"type": "commonjs"}: the loader is CommonJS (Node's ES-module
//                     loader costs a validate about 8 ms more)
// Why one CommonJS file with a code cache instead of ES-module chunks: measured on validate,
// compiling the ES-module chunks (and then each function on its first call) was about half
// of its start-up over `node -e 0`, and Node 20 can cache compiled code only for a
// vm.Script (no module.enableCompileCache, no cached data for its ES-module loader).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/bundle');
// Without emptying the folder, every rebuild could leave files of an older layout behind,
// and npm pack would ship them.
rmSync(outdir, { recursive: true, force: true });

// The manifest validator is generated (scripts/build-validator.mjs) into dist/, not src/.
const generatedValidator = {
  name: 'generated-validator',
  setup(b) {
    b.onResolve({ filter: /validate-manifest\.cjs$/ }, () => ({ path: join(root, 'dist/src/manifest/validate-manifest.cjs') }));
  },
};

// The SDK (2.3 MB) stays out of app.cjs: providers/cloudflare.ts import()s its chunk, so
// only a cloudflare command reads it.
const SDK_CHUNK = 'chunks/cloudflare-sdk.mjs';
const cloudflareChunk = {
  name: 'cloudflare-chunk',
  setup(b) {
    b.onResolve({ filter: /^cloudflare$/ }, () => ({ path: `./${SDK_CHUNK}`, external: true }));
  },
};

// commander requires node:child_process when it loads, for executable subcommands (srvctl
// has none); with it came node's child_process, dgram and socket internals on every start.
// Its copy is a stand-in that loads the module on first use.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (/[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({ contents: "let m;\nmodule.exports = new Proxy({}, { get: (_, key) => (m ??= require('node:child_process'))[key] });\n", loader: 'js' }));
  },
};

const appBuild = await build({
  entryPoints: [join(root, 'src/cli.ts')],
  tsconfig: join(root, 'tsconfig.json'),
  plugins: [generatedValidator, cloudflareChunk, lazyChildProcess],
  outfile: join(outdir, 'app.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // The loader passes app.cjs's file URL in (scripts/cli-loader.cjs).
  define: { 'import.meta.url': '__srvctlModuleUrl' },
  metafile: true,
  logLevel: 'warning',
});
// The loader wraps app.cjs in a function: a hashbang line would be a syntax error there.
// And code compiled by vm.Script (from a code cache all the more) has no import() of its
// own in Node 20: each import() of an external module (the SDK chunk, lazily loaded
// builtins) calls the loader's, which resolves from dist/bundle/ as app.cjs would.
const app = join(outdir, 'app.cjs');
const dynamicImports = Object.values(appBuild.metafile.inputs).flatMap((i) => i.imports.filter((x) => x.kind === 'dynamic-import' && x.external)).length;
let rewritten = 0;
const appText = readFileSync(app, 'utf8')
  .replace(/^#!.*\n/, '')
  .replace(/(?<![\w$.])import\(("(?:node:[\w/]+|\.\/chunks\/[\w.-]+)")\)/g, (_, specifier) => {
    rewritten++;
    return `__srvctlImport(${specifier})`;
  });
if (rewritten !== dynamicImports || /(?<![\w$.])import\("/.test(appText)) throw new Error(`bundle: rewrote ${rewritten} of ${dynamicImports} import() calls in app.cjs`);
writeFileSync(app, appText);

await build({
  stdin: { contents: "export * from 'cloudflare';\nexport { default } from 'cloudflare';\n", resolveDir: root, sourcefile: 'cloudflare-sdk.mjs' },
  outfile: join(outdir, SDK_CHUNK),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __srvctlRequire } from 'node:module'; const require = __srvctlRequire(import.meta.url);" },
  logLevel: 'warning',
});

copyFileSync(join(root, 'scripts/cli-loader.cjs'), join(outdir, 'cli.js'));
chmodSync(join(outdir, 'cli.js'), 0o755);
writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
writeFileSync(join(outdir, 'chunks.json'), `${JSON.stringify({ cloudflare: [SDK_CHUNK] }, null, 2)}\n`);

// Training: offline commands on a starter manifest in a scratch folder, each run adding what
// it compiled to app.cjs.cache. Whatever they do not reach compiles lazily at run time, as
// without a cache. A failed run only leaves the cache smaller; the build goes on.
const scratch = mkdtempSync(join(tmpdir(), 'srvctl-train-'));
try {
  const manifest = join(scratch, 'cluster.yaml');
  const flow = join(scratch, 'flow.yaml');
  writeFileSync(
    flow,
    'version: 1\ncluster: c\ndomain: c.example.com\nprovider: { type: zonefile, zone: example.com }\nmembers:\n' +
      [1, 2, 3].map((i) => `  - { name: n${i}, host: n${i}.c.example.com, ipv4: 10.0.0.${i} }\n`).join(''),
  );
  const runs = [
    ['init', '--domain', 'coreos.example.com', '--out', manifest],
    ['validate', manifest, flow],
    ['plan', manifest],
    ['sync', manifest, '--yes', '--format', 'env'],
    ['render', manifest],
  ];
  for (const args of runs) {
    const r = spawnSync(process.execPath, [join(outdir, 'cli.js'), ...args], { cwd: scratch, env: { ...process.env, SRVCTL_WRITE_CODE_CACHE: '1', NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0 && r.status !== 2) process.stderr.write(`bundle: training run "srvctl ${args[0]}" exited ${r.status}: ${(r.stderr ?? '').split('\n')[0]}\n`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
