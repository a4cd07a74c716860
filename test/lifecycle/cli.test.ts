import assert from 'node:assert/strict';
import { appendFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { scratch, srvctl } from '../support/run.js';

/** The thin CLI layer of the lifecycle commands: flags, exit codes, --json fields. */
describe('lifecycle CLI: plan --out, sync --plan, destroy', function () {
  this.timeout(60_000);
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await scratch('cluster.yaml'));
  });
  after(async () => cleanup());

  it('plan --out saves the plan (exit 2), sync --plan applies it (exit 0), a stale plan is refused (exit 1)', async () => {
    const manifest = join(dir, 'cluster.yaml');
    const planFile = join(dir, 'plan.json');
    const p = await srvctl(['plan', manifest, '--out', planFile, '--json']);
    assert.equal(p.code, 2, p.stderr);
    const saved = JSON.parse(await readFile(planFile, 'utf8'));
    assert.equal(saved.format, 'srvctl-plan/1');
    assert.equal(JSON.parse(p.stdout).savedPlan.planDigest, saved.plan.digest);

    const s = await srvctl(['sync', manifest, '--plan', planFile, '--no-verify', '--json']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(JSON.parse(s.stdout).applied, true);

    const stale = await srvctl(['sync', manifest, '--plan', planFile, '--no-verify', '--json']);
    assert.equal(stale.code, 1, stale.stderr);
    const doc = JSON.parse(stale.stdout);
    assert.equal(doc.outcome, 'refused');
    assert.ok(doc.error.details.some((d: string) => /the provider changed since the plan was made/.test(d)), stale.stdout);
  });

  it('destroy: no terminal and no --yes is a usage error (64); --yes deletes (0); again, nothing owned (1, nothing written)', async () => {
    const manifest = join(dir, 'cluster.yaml');
    const zone = join(dir, 'example.com.zone');
    await appendFile(zone, 'keep.example.com. 300 IN A 10.9.9.9\n');
    const noTty = await srvctl(['destroy', manifest, '--no-verify']);
    assert.equal(noTty.code, 64, noTty.stderr);

    const d = await srvctl(['destroy', manifest, '--yes', '--no-verify', '--json']);
    assert.equal(d.code, 0, d.stderr);
    const doc = JSON.parse(d.stdout);
    assert.equal(doc.plan.summary.delete, 9);
    assert.equal(doc.applied, true);
    const text = await readFile(zone, 'utf8');
    assert.doesNotMatch(text, /heritage=srvctl/);
    assert.match(text, /10\.9\.9\.9/);

    const before = (await stat(zone)).mtimeMs;
    const again = await srvctl(['destroy', manifest, '--yes', '--json']);
    assert.equal(again.code, 1);
    assert.match(JSON.parse(again.stdout).error.details[0], /^nothing to destroy/);
    assert.equal((await stat(zone)).mtimeMs, before);
  });

  it('--adopt-from needs a cluster id (64); --plan with --adopt is a usage error (64)', async () => {
    const manifest = join(dir, 'cluster.yaml');
    assert.equal((await srvctl(['sync', manifest, '--adopt-from', 'Not_An_Id', '--dry-run'])).code, 64);
    assert.equal((await srvctl(['sync', manifest, '--plan', join(dir, 'plan.json'), '--adopt'])).code, 64);
  });
});
