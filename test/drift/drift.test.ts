import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareMembership } from '../../src/drift/membership.js';
import { metricsText, previousSuccess } from '../../src/drift/prometheus.js';
import { cliInProcess } from '../commands/inprocess.js';
import { FIXTURES, scratch } from '../support/run.js';

describe('drift: membership three ways', () => {
  const manifest = [
    { name: 'node1', host: 'node1.example.test', peerPort: 2380 },
    { name: 'node2', host: 'node2.example.test', peerPort: 2380 },
    { name: 'node5', host: 'node5.example.test', peerPort: 2380 },
  ];
  it('names members in etcd but not DNS, in DNS but not etcd, in the manifest only, and unstarted ones', () => {
    const findings = compareMembership(
      manifest,
      [
        { target: 'node1.example.test', port: 2380 },
        { target: 'node3.example.test', port: 2380 },
      ],
      [
        { id: 'a1', name: 'node1', peerURLs: ['https://node1.example.test:2380'], clientURLs: [] },
        { id: 'b2', name: 'node2', peerURLs: ['https://node2.example.test:2380'], clientURLs: [] },
        { id: 'c3', name: '', peerURLs: ['https://node4.example.test:2380'], clientURLs: [] },
      ],
    );
    assert.deepEqual(
      findings.map((f) => `${f.kind} ${f.member}`),
      ['etcd-not-dns node2', 'unstarted (unstarted c3)', 'etcd-not-dns (unstarted c3)', 'dns-not-etcd node3.example.test:2380', 'manifest-only node5'],
    );
  });
});

describe('drift: Prometheus textfile metrics', () => {
  it('one gauge per cluster and kind; last success survives a failed run', () => {
    const text = metricsText([
      { cluster: 'a', ok: true, durationSeconds: 0.5, drift: { dns: 2 }, lastSuccess: 1700000000 },
      { cluster: 'b"x', ok: false, durationSeconds: 1, drift: {}, lastSuccess: null },
    ]);
    assert.match(text, /^srvctl_drift\{cluster="a",kind="dns"\} 2$/m);
    assert.match(text, /^srvctl_drift\{cluster="a",kind="provider"\} 0$/m);
    assert.match(text, /^srvctl_drift_check_success\{cluster="b\\"x"\} 0$/m);
    assert.deepEqual([...previousSuccess(text)], [['a', 1700000000]]);
    assert.match(text, /^# TYPE srvctl_drift gauge$/m);
  });

  it('50,000 clusters: every row is written (150,000 srvctl_drift rows in one family)', () => {
    const many = Array.from({ length: 50_000 }, (_, i) => ({ cluster: `c${i}`, ok: true, durationSeconds: 0.01, drift: { provider: 1 }, lastSuccess: 1700000000 }));
    const text = metricsText(many);
    assert.equal(text.match(/^srvctl_drift\{/gm)?.length, 150_000);
    assert.match(text, /^srvctl_drift\{cluster="c49999",kind="etcd"\} 0$/m);
  });
});

describe('srvctl drift over a directory of manifests (zone files)', function () {
  this.timeout(60_000);
  it('exit 0 in sync, 2 after an edit behind srvctl\'s back, 1 when a cluster fails without hiding the others', async () => {
    const { dir, cleanup } = await scratch();
    try {
      const base = readFileSync(join(FIXTURES, 'cluster.yaml'), 'utf8');
      for (const [sub, name, domain] of [
        ['a', 'alpha', 'alpha.example.com'],
        ['b/deeper', 'beta', 'beta.example.com'],
      ]) {
        mkdirSync(join(dir, sub!), { recursive: true });
        writeFileSync(join(dir, sub!, 'cluster.yaml'), base.replace('cluster: prod-etcd', `cluster: ${name}`).replace('domain: coreos.example.com', `domain: ${domain}`).replace(/node(\d)\.coreos/g, `node$1.${name}`));
        assert.equal((await cliInProcess(['sync', join(dir, sub!, 'cluster.yaml'), '--yes', '--no-verify'])).code, 0);
      }
      writeFileSync(join(dir, 'not-a-manifest.yaml'), 'just: some yaml\n');
      const prom = join(dir, 'drift.prom');
      const clean = await cliInProcess(['drift', dir, '--json', '--prom-file', prom]);
      assert.equal(clean.code, 0, clean.stdout + clean.stderr);
      assert.deepEqual(JSON.parse(clean.stdout).clusters.map((c: { cluster: string }) => c.cluster).sort(), ['alpha', 'beta']);
      const lastSuccess = /srvctl_drift_last_success_timestamp_seconds\{cluster="beta"\} (\d+)/.exec(readFileSync(prom, 'utf8'))![1];

      const zone = join(dir, 'a', 'example.com.zone');
      writeFileSync(zone, readFileSync(zone, 'utf8').replace(/^_etcd-server\._tcp\.alpha\.example\.com\. 300 IN SRV 0 0 2380 node2\.alpha\.example\.com\.\n/m, ''));
      const drifted = await cliInProcess(['drift', dir, '--json']);
      assert.equal(drifted.code, 2);
      const alpha = JSON.parse(drifted.stdout).clusters.find((c: { cluster: string }) => c.cluster === 'alpha');
      const lines = alpha.findings.map((f: { kind: string; message: string }) => `${f.kind}: ${f.message}`);
      assert.equal(lines.length, 2, lines.join('\n'));
      assert.equal(lines[0], 'provider: missing at the provider: _etcd-server._tcp.alpha.example.com. 300 IN SRV 0 0 2380 node2.alpha.example.com.');
      assert.match(lines[1], /^dns: embedded \(127\.0\.0\.1:\d+\): _etcd-server\._tcp\.alpha\.example\.com SRV: missing 0 0 2380 node2\.alpha\.example\.com\.$/);
      assert.match(drifted.stdout, /"cluster": "beta"[\s\S]*"findings": \[\]/);

      writeFileSync(join(dir, 'b', 'deeper', 'cluster.yaml'), 'version: 1\ncluster: beta\nmembers: oops\n');
      const failing = await cliInProcess(['drift', dir, '--json', '--prom-file', prom]);
      assert.equal(failing.code, 1);
      const doc = JSON.parse(failing.stdout);
      assert.equal(doc.clusters.find((c: { file: string }) => c.file.includes('deeper')).ok, false);
      assert.equal(doc.clusters.find((c: { cluster: string }) => c.cluster === 'alpha').findings.length, 2, 'the failing cluster hides nothing of the others');
      const metrics = readFileSync(prom, 'utf8');
      assert.match(metrics, /srvctl_drift\{cluster="alpha",kind="provider"\} 1/);
      assert.match(metrics, /srvctl_drift_check_success\{cluster="beta"\} 0/);
      assert.ok(metrics.includes(`srvctl_drift_last_success_timestamp_seconds{cluster="beta"} ${lastSuccess}`), 'the last success of a failing cluster is carried over');
    } finally {
      await cleanup();
    }
  });
});
