import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { dig } from '../support/dig.js';
import { freePort } from '../support/ports.js';
import { CLI, FIXTURES, run, scratch, srvctl, startProcess, stop } from '../support/run.js';

const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace for an expected failure');

describe('srvctl, end to end on the embedded default', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let manifest: string;
  let zone: string;
  beforeEach(async () => {
    ({ dir, cleanup } = await scratch('cluster.yaml'));
    manifest = join(dir, 'cluster.yaml');
    zone = join(dir, 'example.com.zone');
  });
  afterEach(() => cleanup());

  it('sync creates the zone, proves it on the embedded server, prints the cloud-config; a second sync has no changes', async () => {
    const first = await srvctl(['sync', manifest, '--yes']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /Plan: 9 to create, 0 to update, 0 to delete, plus 9 ownership marker change\(s\)\./);
    assert.match(first.stderr, /_etcd-server\._tcp\.coreos\.example\.com SRV\s+✓/);
    const docs = first.stdout.split(/^---$/m).map((d) => parseYaml(d));
    assert.equal(docs.length, 3);
    assert.deepEqual(docs[2].coreos.etcd2, {
      name: 'node3',
      'discovery-srv': 'coreos.example.com',
      'initial-advertise-peer-urls': 'http://node3.coreos.example.com:2380',
      'initial-cluster-token': 'prod-etcd',
      'initial-cluster-state': 'new',
      'advertise-client-urls': 'http://node3.coreos.example.com:2379',
      'listen-client-urls': 'http://0.0.0.0:2379',
      'listen-peer-urls': 'http://10.0.0.3:2380',
    });
    assert.ok(first.stdout.startsWith('#cloud-config\n'));
    const check = await run('named-checkzone', ['example.com', zone]);
    assert.equal(check.code, 0, check.stdout);

    const second = await srvctl(['sync', manifest, '--yes']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /No changes\./);
    assert.doesNotMatch(second.stderr, /wrote /);
  });

  it('plan exits 2 with changes pending, 0 in sync, and --json is one document', async () => {
    const pending = await srvctl(['plan', manifest, '--json']);
    assert.equal(pending.code, 2);
    const doc = JSON.parse(pending.stdout);
    assert.equal(doc.inSync, false);
    assert.equal(doc.summary.create, 9);
    assert.equal(doc.changes.length, 18);
    assert.ok(!existsSync(zone), 'plan writes nothing');
    assert.equal((await srvctl(['sync', manifest, '--yes'])).code, 0);
    const clean = await srvctl(['plan', manifest, '--json']);
    assert.equal(clean.code, 0);
    assert.equal(JSON.parse(clean.stdout).inSync, true);
  });

  it('sync --json carries plan, verification and configs', async () => {
    const r = await srvctl(['sync', manifest, '--yes', '--json', '--format', 'env']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.verify.ok, true);
    assert.equal(doc.configs.length, 3);
    assert.match(doc.configs[0].text, /^ETCD_DISCOVERY_SRV=coreos\.example\.com$/m);
    assert.ok(doc.verify.results.every((c: { status: string }) => c.status === 'ok'));
  });

  it('refuses to apply without --yes when there is no terminal, and writes nothing', async () => {
    const r = await srvctl(['sync', manifest]);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /pass --yes/);
    assert.ok(!existsSync(zone));
  });

  it('--dry-run stops after the plan', async () => {
    const r = await srvctl(['sync', manifest, '--dry-run']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /nothing applied/);
    assert.ok(!existsSync(zone));
  });

  it('an invalid manifest exits 65 with every error at its place, and no stack trace', async () => {
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('ttl: 300', 'ttl: -1').replace('host: node2.coreos.example.com', 'host: 10.0.0.2'));
    for (const cmd of [['validate', manifest], ['plan', manifest], ['sync', manifest, '--yes'], ['render', manifest]]) {
      const r = await srvctl(cmd);
      assert.equal(r.code, 65, `${cmd[0]}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${manifest.replace(/[.]/g, '\\.')}:7:6: error: ttl: must be at least 1`));
      noStack(r.stderr);
    }
    assert.ok(!existsSync(zone));
  });

  it('a zone file that does not parse is named with line and column and left as it was', async () => {
    const broken = '$TTL 300\n@ IN SOA a. b. 1 2 3 4 5\nnode1.coreos IN A 10.0.0.999\n';
    writeFileSync(zone, broken);
    const r = await srvctl(['sync', manifest, '--yes']);
    assert.equal(r.code, 65);
    assert.match(r.stderr, /example\.com\.zone:3:19: "10\.0\.0\.999" is not an IPv4 address/);
    noStack(r.stderr);
    assert.equal(readFileSync(zone, 'utf8'), broken);
  });

  it('keeps foreign records and comments, reports the hand-made SRV as a conflict, and still verifies', async () => {
    writeFileSync(zone, readFileSync(join(FIXTURES, 'example.com.hand.zone'), 'utf8'));
    const before = readFileSync(zone, 'utf8');
    const r = await srvctl(['sync', manifest, '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /! _etcd-server\._tcp\.coreos\.example\.com\. 300 IN SRV 0 0 2380 rogue\.coreos\.example\.com\.\s+\(not owned by srvctl: etcd will read this record too; left alone\)/);
    const after = readFileSync(zone, 'utf8');
    for (const line of before.split('\n').filter((l) => l && !/; serial/.test(l))) assert.ok(after.includes(line), `lost: ${line}`);
    const again = await srvctl(['sync', manifest, '--yes']);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /No changes\./);
    assert.match(again.stderr, /1 conflict\(s\)/);
  });

  it('a nameserver that does not answer fails verification, naming it, with exit 1', async () => {
    const port = await freePort();
    writeFileSync(manifest, `${readFileSync(manifest, 'utf8')}verify:\n  nameservers: ["127.0.0.1:${port}"]\n  timeout: 200ms\n  retries: 0\n  wait: 1s\n`);
    const r = await srvctl(['sync', manifest, '--yes', '--json']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`✗ 127\\.0\\.0\\.1:${port}: _etcd-server\\._tcp\\.coreos\\.example\\.com SRV: (nameserver )?127\\.0\\.0\\.1:${port}: connection refused`));
    assert.match(r.stderr, /no config emitted/);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.error.code, 'verify');
    assert.equal(doc.verify.ok, false);
    assert.equal(doc.configs, undefined);
    noStack(r.stderr);
  });

  it('--no-verify warns and still emits the config', async () => {
    const r = await srvctl(['sync', manifest, '--yes', '--no-verify', '--member', 'node1']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /warning: --no-verify/);
    assert.match(r.stdout, /name: "?node1/);
    assert.doesNotMatch(r.stdout, /node2/);
  });

  it('serve answers dig with aa, reloads after a sync, and exits 0 on SIGTERM', async () => {
    assert.equal((await srvctl(['sync', manifest, '--yes'])).code, 0);
    const port = await freePort();
    const { child } = await startProcess(process.execPath, [CLI, 'serve', manifest, '--listen', `127.0.0.1:${port}`], /serving zone/);
    try {
      const r = await dig('127.0.0.1', port, '_etcd-server._tcp.coreos.example.com', 'SRV');
      assert.ok(r.flags.includes('aa'));
      assert.equal(r.answers.length, 3);
      const tcp = await dig('127.0.0.1', port, 'node1.coreos.example.com', 'A', ['+tcp']);
      assert.deepEqual(tcp.answers.map((a) => a.rdata), ['10.0.0.1']);
      writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('ipv4: 10.0.0.1', 'ipv4: 10.0.0.11'));
      assert.equal((await srvctl(['sync', manifest, '--yes', '--no-verify'])).code, 0);
      let seen: string[] = [];
      for (let i = 0; i < 40 && seen[0] !== '10.0.0.11'; i++) {
        await new Promise((res) => setTimeout(res, 100));
        seen = (await dig('127.0.0.1', port, 'node1.coreos.example.com', 'A')).answers.map((a) => a.rdata);
      }
      assert.deepEqual(seen, ['10.0.0.11']);
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  it('serve exits 1 with a message when its port is taken', async () => {
    assert.equal((await srvctl(['sync', manifest, '--yes', '--no-verify'])).code, 0);
    const port = await freePort();
    const { child } = await startProcess(process.execPath, [CLI, 'serve', manifest, '--listen', `127.0.0.1:${port}`], /serving zone/);
    try {
      const r = await srvctl(['serve', manifest, '--listen', `127.0.0.1:${port}`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: address in use`));
      noStack(r.stderr);
    } finally {
      await stop(child);
    }
  });

  it('render writes one file per member atomically with --out, in every format', async () => {
    for (const format of ['cloud-config', 'env', 'etcd-yaml', 'flags', 'clc', 'ignition', 'static']) {
      const out = join(dir, `out-${format}`);
      const r = await srvctl(['render', manifest, '--format', format, '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readdirSync(out).filter((f) => !f.startsWith('.')).length, 3, format);
    }
    const stat = readFileSync(join(dir, 'out-static', 'node1.yaml'), 'utf8');
    assert.match(stat, /initial-cluster: "?node1=http:\/\/node1\.coreos\.example\.com:2380,node2=http:\/\/node2\.coreos\.example\.com:2380,node3=http:\/\/node3\.coreos\.example\.com:2380/);
    assert.doesNotMatch(stat, /discovery-srv/);
  });

  it('usage errors exit 64', async () => {
    assert.equal((await srvctl(['sync'])).code, 64);
    assert.equal((await srvctl(['frobnicate'])).code, 64);
    assert.equal((await srvctl(['plan', manifest, '--bogus'])).code, 64);
    const r = await srvctl(['render', manifest, '--format', 'ini']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /unknown --format "ini"/);
    const missing = await srvctl(['validate', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /cannot read .*nope\.yaml: no such file/);
  });
});
