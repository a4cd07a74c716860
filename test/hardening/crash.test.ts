import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseZone } from '../../src/dns/zonefile.js';
import { CLI, FIXTURES, scratch, srvctl } from '../support/run.js';

/** A sync killed with SIGKILL at any point leaves the zone old or new, never half; a rerun converges. */
describe('hardening: crash safety of the zone file', function () {
  this.timeout(240_000);

  it('SIGKILL at random points during sync: the zone file is always the old one or the new one', async () => {
    const { dir, cleanup } = await scratch('cluster.yaml', 'example.com.hand.zone');
    try {
      const members = Array.from({ length: 40 }, (_, i) => `  - { name: n${i}, host: n${i}.coreos.example.com, ipv4: 10.1.0.${i + 1} }`).join('\n');
      const manifest = join(dir, 'cluster.yaml');
      writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/members:[\s\S]*$/, `members:\n${members}\n`));
      const zone = join(dir, 'example.com.zone');
      const old = readFileSync(join(FIXTURES, 'example.com.hand.zone'), 'utf8');
      writeFileSync(zone, old);
      const started = Date.now();
      assert.equal((await srvctl(['sync', manifest, '--yes', '--no-verify', '--force'])).code, 0);
      const fullMs = Date.now() - started;
      const fresh = readFileSync(zone, 'utf8');
      assert.notEqual(fresh, old);

      const outcomes = { old: 0, new: 0 };
      for (let i = 0; i < 24; i++) {
        writeFileSync(zone, old);
        const child = spawn(process.execPath, [CLI, 'sync', manifest, '--yes', '--no-verify', '--force'], { stdio: 'ignore' });
        const exited = new Promise((r) => child.once('exit', r));
        const delay = Math.floor((fullMs * 1.2 * i) / 24);
        await new Promise((r) => setTimeout(r, delay));
        child.kill('SIGKILL');
        await exited;
        const now = readFileSync(zone, 'utf8');
        assert.ok(now === old || now === fresh, `after a kill at ${delay} ms the zone is neither old nor new`);
        parseZone(now, 'example.com');
        outcomes[now === old ? 'old' : 'new']++;
      }
      // Reruns converge, and clean up after the writers that were killed.
      writeFileSync(zone, old);
      assert.equal((await srvctl(['sync', manifest, '--yes', '--no-verify', '--force'])).code, 0);
      assert.equal(readFileSync(zone, 'utf8'), fresh);
      assert.equal((await srvctl(['plan', manifest])).code, 0);
      assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), [], 'temp files of killed writers are removed');
      assert.ok(outcomes.old > 0, 'some kills landed before the write');
    } finally {
      await cleanup();
    }
  });
});
