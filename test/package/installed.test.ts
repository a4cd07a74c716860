import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { dig } from '../support/dig.js';
import { freePort } from '../support/ports.js';
import { ROOT, run, startProcess, stop, type RunResult } from '../support/run.js';

/**
 * srvctl as a user gets it: `npm pack`, `npm install -g` of the tarball into a temporary
 * prefix, and every command run from a directory outside the checkout. Any file the
 * package needs but does not ship (the package.json cli.ts reads, the precompiled
 * validator, the schema) fails here, as it would for the user.
 */
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

/** npm from the local cache only; a cache without the registry's metadata (a fresh CI runner) may fetch it. */
async function npmInstallGlobal(prefix: string, tarball: string, cwd: string): Promise<void> {
  const base = ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', tarball];
  let r = await run('npm', ['--offline', ...base], { cwd, timeoutMs: 240_000 });
  if (r.code !== 0 && /ENOTCACHED/.test(r.stderr)) r = await run('npm', ['--prefer-offline', ...base], { cwd, timeoutMs: 240_000 });
  assert.equal(r.code, 0, `npm install -g ${tarball}:\n${r.stderr}`);
}

describe('the npm package, installed from its tarball outside the checkout', function () {
  this.timeout(300_000);
  let tmp: string;
  let work: string;
  let bin: string;
  let prefix: string;
  const srvctl = (args: string[], env: Record<string, string> = {}): Promise<RunResult> => run(bin, args, { cwd: work, env: { ...env } });

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'srvctl-pack-'));
    // The test runs after the build; --ignore-scripts keeps npm pack from building again.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT, timeoutMs: 120_000 });
    assert.equal(packed.code, 0, packed.stderr);
    const [{ filename, files }] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    assert.ok(!files.some((f) => /^(test|bench|fixtures)\/|^dist\/(test|bench)\//.test(f.path)), 'tests, benchmarks and fixtures stay out of the package');
    assert.ok(!files.some((f) => f.path.endsWith('.map')), 'no source maps pointing at sources the package does not hold');
    for (const shipped of ['package.json', 'dist/bundle/cli.js', 'dist/bundle/chunks.json', 'examples/systemd/srvctl-drift.service']) {
      assert.ok(files.some((f) => f.path === shipped), `${shipped} is in the package`);
    }
    prefix = join(tmp, 'prefix');
    work = join(tmp, 'work');
    mkdirSync(work);
    await npmInstallGlobal(prefix, join(tmp, filename), tmp);
    bin = join(prefix, 'bin', 'srvctl');
    assert.ok(existsSync(bin), 'npm linked the srvctl bin');
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('--version, no-argument usage, schema, completion', async () => {
    const v = await srvctl(['--version']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), VERSION);
    const bare = await srvctl([]);
    assert.equal(bare.code, 64);
    assert.match(bare.stderr, /Usage: srvctl/);
    const schema = await srvctl(['schema']);
    assert.equal(schema.code, 0, schema.stderr);
    assert.ok(JSON.parse(schema.stdout).properties.members);
    const completion = await srvctl(['completion', 'bash']);
    assert.equal(completion.code, 0, completion.stderr);
    const r = await run('bash', ['-c', `${completion.stdout}\nCOMP_WORDS=(srvctl dr); COMP_CWORD=1; _srvctl; echo "\${COMPREPLY[*]}"`]);
    assert.equal(r.stdout.trim(), 'drift');
  });

  it('init, validate, plan, sync, render, serve + dig, check, drift on the embedded default', async () => {
    const init = await srvctl(['init', '--domain', 'coreos.example.com', '--members', '3']);
    assert.equal(init.code, 0, init.stderr);
    const validate = await srvctl(['validate', 'cluster.yaml', '--json']);
    assert.equal(validate.code, 0, validate.stderr);
    assert.equal(JSON.parse(validate.stdout).valid, true);
    const pending = await srvctl(['plan', 'cluster.yaml', '--json']);
    assert.equal(pending.code, 2, pending.stderr);
    assert.equal(JSON.parse(pending.stdout).inSync, false);
    const sync = await srvctl(['sync', 'cluster.yaml', '--yes', '--json']);
    assert.equal(sync.code, 0, sync.stderr);
    assert.equal(JSON.parse(sync.stdout).verify.ok, true);
    assert.equal((await srvctl(['plan', 'cluster.yaml'])).code, 0, 'in sync after the sync');
    const render = await srvctl(['render', 'cluster.yaml', '--format', 'env', '--member', 'node2']);
    assert.equal(render.code, 0, render.stderr);
    assert.match(render.stdout, /^ETCD_DISCOVERY_SRV=coreos\.example\.com$/m);

    // serve a copy of the zone under another file name: its $ORIGIN says which zone it is.
    cpSync(join(work, 'coreos.example.com.zone'), join(work, 'copy.zone'));
    const port = await freePort();
    const { child } = await startProcess(bin, ['serve', join(work, 'copy.zone'), '--listen', `127.0.0.1:${port}`], /serving zone/);
    try {
      const answer = await dig('127.0.0.1', port, '_etcd-server._tcp.coreos.example.com', 'SRV');
      assert.equal(answer.status, 'NOERROR');
      assert.ok(answer.flags.includes('aa'));
      assert.equal(answer.answers.filter((a) => a.type === 'SRV').length, 3);
      const check = await srvctl(['check', 'coreos.example.com', '--ns', `127.0.0.1:${port}`, '--manifest', 'cluster.yaml', '--json']);
      assert.equal(check.code, 0, check.stderr);
      assert.equal(JSON.parse(check.stdout).sound, true);
    } finally {
      assert.equal(await stop(child), 0, 'serve exits 0 on SIGTERM');
    }
    const drift = await srvctl(['drift', work, '--json', '--prom-file', join(work, 'srvctl.prom')]);
    assert.equal(drift.code, 0, drift.stderr);
    assert.equal(JSON.parse(drift.stdout).drift, false);
    assert.match(readFileSync(join(work, 'srvctl.prom'), 'utf8'), /srvctl_drift_check_success\{cluster="coreos"\} 1/);
  });

  it('examples/ci/srvctl-drift.yml: its steps run in a repository that holds only manifests, with the pinned release', async () => {
    const wf = parseAllDocuments(readFileSync(join(ROOT, 'examples/ci/srvctl-drift.yml'), 'utf8'))[0]!.toJS();
    assert.ok(wf.on.schedule[0].cron);
    const steps = wf.jobs.drift.steps as { run?: string; env?: Record<string, string> }[];
    const runs = steps.filter((s) => s.run);
    assert.ok(runs.every((s) => !/\bnpx\b/.test(s.run!)), 'no npx: it would fetch whatever is called srvctl');
    assert.equal(wf.env.SRVCTL_VERSION, VERSION, 'the pinned version is a release of this package');
    // A repository of manifests, as actions/checkout leaves it.
    const repo = join(tmp, 'repo');
    mkdirSync(join(repo, 'clusters'), { recursive: true });
    writeFileSync(join(repo, 'clusters/coreos.yaml'), readFileSync(join(work, 'cluster.yaml'), 'utf8').replace('# path:', 'path: ../../work/coreos.example.com.zone #'));
    // The install step's package spec is the pinned release; the package installed above stands in for it.
    const [install, ...rest] = runs;
    assert.match(install!.run!, /npm install --global [^\n]*"srvctl@\$\{SRVCTL_VERSION\}"/);
    const PATH = `${join(prefix, 'bin')}:${process.env.PATH}`;
    const check = await run('bash', ['-e', '-c', install!.run!.split('&&').slice(1).join('&&')], { cwd: repo, env: { PATH, SRVCTL_VERSION: VERSION } });
    assert.equal(check.stdout.trim(), VERSION, check.stderr);
    for (const step of rest) {
      const r = await run('bash', ['-e', '-c', step.run!], { cwd: repo, env: { PATH, SRVCTL_VERSION: VERSION, ...Object.fromEntries(Object.keys(step.env ?? {}).map((k) => [k, k === 'FORCE_COLOR' ? '1' : ''])) } });
      assert.equal(r.code, 0, `${step.run}: ${r.stderr}`);
    }
    assert.equal(JSON.parse(readFileSync(join(repo, 'drift.json'), 'utf8')).drift, false);
  });
});
