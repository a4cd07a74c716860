import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectManifests, type CollectedManifest } from '../../src/drift/collect.js';
import { metricsText } from '../../src/drift/prometheus.js';
import { cliInProcess } from '../commands/inprocess.js';
import { FIXTURES, run, scratch, CLI } from '../support/run.js';

/**
 * drift over an awkward directory (issue 15): every entry that cannot be checked is
 * reported as a failed cluster, nothing blocks, nothing aborts the run, nothing printed
 * carries a control character, and the prom file is written with a failure metric rather
 * than a reassuring 0.
 */
const base = readFileSync(join(FIXTURES, 'cluster.yaml'), 'utf8');
const manifestFor = (cluster: string) => base.replace('cluster: prod-etcd', `cluster: ${cluster}`);
const ESC_NAME = 'evil\u001b[2J\nline.yaml';

function awkwardDirectory(dir: string): void {
  writeFileSync(join(dir, 'good.yaml'), manifestFor('good'));
  writeFileSync(join(dir, 'broken.yaml'), 'version: 1\ncluster: broken\nmembers: [\n');
  writeFileSync(join(dir, ESC_NAME), 'version: 1\ncluster: "\u001b[31mred"\ndomain: x.example.com\nmembers: oops\n');
  writeFileSync(join(dir, 'twin-a.yaml'), manifestFor('twin'));
  writeFileSync(join(dir, 'twin-b.yaml'), manifestFor('twin'));
  writeFileSync(join(dir, 'compose.yaml'), 'services: {}\n'); // YAML, but no manifest
  execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
  symlinkSync(join(dir, 'nowhere.yaml'), join(dir, 'dangling.yaml'));
  symlinkSync('loop.yaml', join(dir, 'loop.yaml'));
  symlinkSync('.', join(dir, 'again')); // a directory loop
  symlinkSync('/proc/self/mem', join(dir, 'eio.yaml')); // a regular file whose read fails (EIO)
  mkdirSync(join(dir, 'dir.yaml'));
  writeFileSync(join(dir, 'dir.yaml', 'inner.yaml'), manifestFor('inner'));
}

const hasControl = (s: string) => /[\u0000-\u001f\u007f-\u009f]/.test(s);

describe('hostile directories: drift reports every entry it cannot check', function () {
  this.timeout(60_000);

  it('collects good manifests and reports broken, non-regular, dangling, looping, unreadable and duplicate ones', async () => {
    const { dir, cleanup } = await scratch();
    try {
      awkwardDirectory(dir);
      const entries = await collectManifests([dir]);
      const by = (name: string) => entries.find((e) => e.file === join(dir, name));
      const reason = (name: string) => by(name)?.reason;
      assert.ok(by('good.yaml')?.manifest, 'the good manifest is there');
      assert.ok(by('dir.yaml/inner.yaml')?.manifest, 'a directory named *.yaml is walked');
      assert.equal(reason('broken.yaml'), 'yaml');
      assert.equal(reason(ESC_NAME), 'invalid');
      assert.equal(reason('fifo.yaml'), 'not-regular');
      assert.equal(reason('dangling.yaml'), 'dangling-symlink');
      assert.equal(reason('loop.yaml'), 'symlink-loop');
      assert.equal(reason('eio.yaml'), 'unreadable');
      assert.equal(reason('twin-a.yaml'), 'duplicate');
      assert.equal(reason('twin-b.yaml'), 'duplicate');
      assert.match(by('twin-a.yaml')!.error!, /twin-b\.yaml/);
      assert.match(by('twin-b.yaml')!.error!, /twin-a\.yaml/);
      assert.equal(by('compose.yaml'), undefined, 'YAML that is no manifest is not one');
      assert.equal(by(ESC_NAME)!.cluster, null, 'a cluster id that is not one is not used as a label');
      assert.equal(by('broken.yaml')!.cluster, null);
      assert.equal(entries.filter((e) => e.file.includes('/again/')).length, 0, 'the directory loop is walked once');
      for (const e of entries) if (e.error) assert.ok(!hasControl(e.error), `control characters in ${JSON.stringify(e.error)}`);
      assert.equal(entries.length, 10);
    } finally {
      await cleanup();
    }
  });

  it('metrics: a failed check writes no srvctl_drift row, a failure row per file, and one series per cluster', async () => {
    const { dir, cleanup } = await scratch();
    try {
      awkwardDirectory(dir);
      const entries: CollectedManifest[] = await collectManifests([dir]);
      const text = metricsText(
        entries.map((e) => ({ cluster: e.cluster ?? e.file, ok: !e.error, durationSeconds: 0, drift: {}, lastSuccess: null, file: e.file, reason: e.reason })),
        1700000000,
      );
      assert.doesNotMatch(text, /^srvctl_drift\{cluster="twin"/m, 'a refused cluster is not "in sync"');
      assert.match(text, /^srvctl_drift\{cluster="good",kind="dns"\} 0$/m);
      assert.equal(text.match(/^srvctl_drift_check_success\{cluster="twin"\} 0$/gm)?.length, 1, 'duplicates merge into one series');
      assert.match(text, new RegExp(`^srvctl_drift_manifest_error\\{file="${join(dir, 'fifo.yaml')}",reason="not-regular"\\} 1$`, 'm'));
      assert.match(text, /^srvctl_drift_last_run_timestamp_seconds 1700000000$/m);
      const series = text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.slice(0, l.lastIndexOf(' ')));
      assert.equal(new Set(series).size, series.length, 'no duplicate series (node_exporter rejects the file)');
      assert.ok(!hasControl(text.replace(/\n/g, '')), 'no control characters in the metrics');
    } finally {
      await cleanup();
    }
  });

  it('an empty folder: exit 64 naming it, and the prom file still written with srvctl_drift_manifests 0', async () => {
    const { dir, cleanup } = await scratch();
    try {
      const empty = join(dir, 'clusters');
      mkdirSync(empty);
      const prom = join(dir, 'drift.prom');
      const r = await cliInProcess(['drift', empty, '--prom-file', prom, '--json']);
      assert.equal(r.code, 64);
      assert.equal(JSON.parse(r.stdout).error.code, 'usage');
      assert.match(r.stderr, /no cluster manifests found in .*clusters \(.*drift\.prom says srvctl_drift_manifests 0\)/);
      const text = readFileSync(prom, 'utf8');
      assert.match(text, /^srvctl_drift_manifests 0$/m);
      assert.match(text, /^srvctl_drift_last_run_timestamp_seconds \d+$/m);
    } finally {
      await cleanup();
    }
  });

  it('srvctl drift as an unprivileged user: EACCES, FIFO and the rest reported, prom file written, exit 1', async () => {
    const { dir, cleanup } = await scratch();
    try {
      const tree = join(dir, 'manifests');
      mkdirSync(tree);
      awkwardDirectory(tree);
      writeFileSync(join(tree, 'example.com.zone'), readFileSync(join(FIXTURES, 'example.com.hand.zone')));
      writeFileSync(join(tree, 'secret.yaml'), manifestFor('secret'));
      chmodSync(join(tree, 'secret.yaml'), 0o000);
      const out = join(dir, 'out');
      mkdirSync(out);
      chmodSync(dir, 0o755);
      chmodSync(tree, 0o755);
      chmodSync(out, 0o777);
      const prom = join(out, 'drift.prom');
      const r = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'drift', tree, '--json', '--prom-file', prom], { timeoutMs: 60_000 });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const doc = JSON.parse(r.stdout) as { clusters: { file: string; ok: boolean; cluster: string | null }[] };
      for (const name of ['secret.yaml', 'fifo.yaml', 'loop.yaml', 'dangling.yaml', 'broken.yaml', 'twin-a.yaml', 'twin-b.yaml']) {
        assert.equal(doc.clusters.find((c) => c.file === join(tree, name))?.ok, false, name);
      }
      assert.equal(doc.clusters.find((c) => c.cluster === 'good')?.ok, true, 'the good cluster is still checked');
      const metrics = readFileSync(prom, 'utf8');
      const reason = (name: string) => new RegExp(`^srvctl_drift_manifest_error\\{file="${join(tree, name)}",reason="([a-z-]+)"\\} 1$`, 'm').exec(metrics)?.[1];
      assert.equal(reason('secret.yaml'), 'unreadable');
      assert.equal(reason('fifo.yaml'), 'not-regular');
      assert.equal(reason('loop.yaml'), 'symlink-loop');
      assert.equal(reason('dangling.yaml'), 'dangling-symlink');
      assert.equal(reason('twin-b.yaml'), 'duplicate');
      assert.match(metrics, /^srvctl_drift_manifest_error\{file="[^"]*secret\.yaml",reason="unreadable"\} 1$/m);
      assert.match(metrics, /^srvctl_drift_check_success\{cluster="good"\} 1$/m);
      assert.ok(!hasControl(r.stdout.replace(/\n/g, '')) && !hasControl(r.stderr.replace(/\n/g, '')), 'nothing printed carries a control character');
      const human = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'drift', tree], { timeoutMs: 60_000 });
      assert.equal(human.code, 1);
      assert.ok(!hasControl(human.stdout.replace(/\n/g, '')), human.stdout);
      assert.ok(human.stdout.includes('evil\\x1b[2J\\x0aline.yaml'), human.stdout);
    } finally {
      await cleanup();
    }
  });
});
