import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, FIXTURES, run } from '../support/run.js';

/**
 * The bin compiles app.cjs with the V8 code cache the build trained (scripts/bundle.mjs,
 * scripts/cli-loader.cjs). A cache V8 turns away still runs, only slowly, so nothing else
 * would notice one the build got wrong: this test watches vm.Script from inside the
 * process (a preloaded hook) and asks that the cache was there and accepted.
 */
describe('the bundle’s code cache', () => {
  it('is read and accepted by this Node when srvctl validates a manifest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'srvctl-code-cache-'));
    try {
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
      const r = await run(process.execPath, ['-r', hook, CLI, 'validate', join(FIXTURES, 'cluster.yaml'), '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).valid, true);
      const scripts = JSON.parse(readFileSync(out, 'utf8')) as { filename: string; cached: boolean; rejected: boolean }[];
      const app = scripts.filter((s) => s.filename?.endsWith('app.cjs'));
      assert.equal(app.length, 1, JSON.stringify(scripts));
      assert.deepEqual(app.map(({ cached, rejected }) => ({ cached, rejected })), [{ cached: true, rejected: false }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
