import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, FIXTURES, ROOT, run } from '../support/run.js';

/**
 * The bin compiles app.cjs with the V8 code cache the build trained (scripts/bundle.mjs,
 * scripts/cli-loader.cjs). A cache V8 turns away still runs, only slowly, so nothing else
 * would notice one the build got wrong: this test watches vm.Script from inside the
 * process (a preloaded hook) and asks that the cache was there and accepted.
 */
/** A preloaded hook that records each vm.Script: its file, whether cached data was passed, and whether V8 took it. */
function watchScripts(dir: string): { hook: string; seen: () => { filename: string; cached: boolean; rejected: boolean }[] } {
  const hook = join(dir, 'hook.cjs');
  const out = join(dir, 'scripts.json');
  writeFileSync(
    hook,
    `const vm = require('node:vm');
const fs = require('node:fs');
const seen = [];
vm.Script = class extends vm.Script {
  constructor(code, options) {
    super(code, options);
    seen.push({ filename: options && options.filename, cached: !!(options && options.cachedData), rejected: this.cachedDataRejected });
  }
};
process.on('exit', () => fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify(seen)));
`,
  );
  return { hook, seen: () => JSON.parse(readFileSync(out, 'utf8')).filter((s: { filename?: string }) => s.filename?.endsWith('app.cjs')) };
}

describe('the bundle’s code cache', () => {
  it('is used only for the app.cjs it was made from, and only when intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'srvctl-code-cache-'));
    try {
      // An installed copy: the bundle moved elsewhere, package.json two folders up (for --version).
      const bundle = join(dir, 'pkg/dist/bundle');
      mkdirSync(join(dir, 'pkg/dist'), { recursive: true });
      cpSync(join(ROOT, 'dist/bundle'), bundle, { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(dir, 'pkg/package.json'));
      const { hook, seen } = watchScripts(dir);
      const validate = () => run(process.execPath, ['-r', hook, join(bundle, 'cli.js'), 'validate', join(FIXTURES, 'cluster.yaml')]);
      const app = join(bundle, 'app.cjs');
      const cache = join(bundle, 'app.cjs.cache');
      const original = readFileSync(app, 'utf8');
      const originalCache = readFileSync(cache);

      let r = await validate();
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(seen().map(({ cached, rejected }) => ({ cached, rejected })), [{ cached: true, rejected: false }], 'a moved bundle keeps its cache');

      // app.cjs edited to the same length: V8 alone would take the old cache and run the old code.
      assert.ok(original.includes(': valid (cluster'));
      writeFileSync(app, original.replace(': valid (cluster', ': VALID (cluster'));
      r = await validate();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /: VALID \(cluster/, 'the edited source runs');
      assert.deepEqual(seen().map(({ cached }) => cached), [false]);

      // A damaged cache (one octet of V8's data changed) is not handed to V8.
      writeFileSync(app, original);
      const damaged = Buffer.from(originalCache);
      damaged[64 + Math.floor((damaged.length - 64) / 2)] ^= 0x10;
      writeFileSync(cache, damaged);
      r = await validate();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /: valid \(cluster prod-etcd/);
      assert.deepEqual(seen().map(({ cached }) => cached), [false]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is read and accepted by this Node when srvctl validates a manifest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'srvctl-code-cache-'));
    try {
      const { hook, seen } = watchScripts(dir);
      const r = await run(process.execPath, ['-r', hook, CLI, 'validate', join(FIXTURES, 'cluster.yaml'), '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).valid, true);
      const app = seen();
      assert.equal(app.length, 1, JSON.stringify(app));
      assert.deepEqual(app.map(({ cached, rejected }) => ({ cached, rejected })), [{ cached: true, rejected: false }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
