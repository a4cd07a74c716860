import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseManifest } from '../src/manifest/load.js';
import { ROOT, run } from './support/run.js';

const EX = join(ROOT, 'examples');

/** systemd-analyze verify in a private root holding the system's units and a stand-in srvctl. */
async function verifyUnits(files: Record<string, string>): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'srvctl-systemd-'));
  try {
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
    writeFileSync(join(root, 'usr/local/bin/srvctl'), '#!/bin/sh\n');
    chmodSync(join(root, 'usr/local/bin/srvctl'), 0o755);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'etc/systemd/system', name), text);
    const r = await run('systemd-analyze', ['verify', `--root=${root}`, ...Object.keys(files)]);
    if (r.code !== 0 && /not found/.test(r.stderr) && !/srvctl-drift/.test(r.stderr)) throw new Error(`systemd-analyze cannot verify here: ${r.stderr}`);
    return `${r.stdout}${r.stderr}`.trim() + (r.code ? `\nexit ${r.code}` : '');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('scheduling examples', () => {
  const service = readFileSync(join(EX, 'systemd/srvctl-drift.service'), 'utf8');
  const timer = readFileSync(join(EX, 'systemd/srvctl-drift.timer'), 'utf8');

  it('the systemd service and timer pass systemd-analyze verify', async () => {
    assert.equal(await verifyUnits({ 'srvctl-drift.service': service, 'srvctl-drift.timer': timer }), '');
    assert.match(service, /^SuccessExitStatus=2$/m, 'drift (exit 2) is a result, not a unit failure');
    assert.match(service, /ExecStart=\/usr\/local\/bin\/srvctl drift .* --prom-file /);
  });

  it('systemd-analyze does catch a broken unit (the check above can fail)', async () => {
    assert.notEqual(await verifyUnits({ 'srvctl-drift.service': service, 'srvctl-drift.timer': timer.replace('OnUnitActiveSec=5min', 'OnUnitActiveSec=5bogus') }), '');
  });

  it('the Kubernetes CronJob parses, runs srvctl drift, and its ConfigMap holds a valid manifest', () => {
    const docs = parseAllDocuments(readFileSync(join(EX, 'kubernetes/srvctl-drift-cronjob.yaml'), 'utf8')).map((d) => {
      assert.deepEqual(d.errors, []);
      return d.toJS();
    });
    const cron = docs.find((d) => d.kind === 'CronJob');
    assert.equal(cron.apiVersion, 'batch/v1');
    assert.match(cron.spec.schedule, /^\S+ \S+ \S+ \S+ \S+$/);
    const container = cron.spec.jobTemplate.spec.template.spec.containers[0];
    assert.deepEqual(container.args.slice(0, 2), ['drift', '/clusters']);
    assert.equal(cron.spec.jobTemplate.spec.template.spec.restartPolicy, 'Never');
    const cm = docs.find((d) => d.kind === 'ConfigMap');
    for (const [key, text] of Object.entries(cm.data as Record<string, string>)) {
      const r = parseManifest(key, text);
      assert.ok(r.manifest, r.findings.map((f) => f.message).join('\n'));
    }
  });

  it('the CI workflow parses and fails on drift', () => {
    const wf = parseAllDocuments(readFileSync(join(EX, 'ci/srvctl-drift.yml'), 'utf8'))[0]!.toJS();
    assert.ok(wf.on.schedule[0].cron);
    const steps = wf.jobs.drift.steps as { run?: string }[];
    assert.ok(steps.some((s) => /npx srvctl drift /.test(s.run ?? '')));
  });

  it('the Containerfile builds srvctl and runs it as an unprivileged entrypoint', () => {
    const text = readFileSync(join(EX, 'container/Containerfile'), 'utf8');
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.match(lines[0]!, /^FROM \S+ AS build$/);
    assert.ok(lines.some((l) => /^RUN npm ci/.test(l)));
    for (const copied of lines.filter((l) => /^COPY (?!--from)/.test(l)).flatMap((l) => l.split(/\s+/).slice(1, -1))) {
      assert.ok(existsSync(join(ROOT, copied)), `COPY ${copied}: no such path in the project`);
    }
    assert.ok(lines.some((l) => /^USER \d+/.test(l)));
    assert.match(lines.find((l) => l.startsWith('ENTRYPOINT'))!, /dist\/src\/cli\.js/);
  });
});
