import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peerKey } from '../../src/drift/membership.js';
import { Bind, newKey } from '../support/bind.js';
import { DOMAIN, EtcdBed, type EtcdRelease, type MemberSpec } from '../support/etcdbed.js';
import { stop } from '../support/run.js';

/**
 * One cluster's whole life on real etcd, BIND and the rfc2136 provider in a network
 * namespace: 3.4 with https peers (3.4 reads only _etcd-server-ssl), 3.5 (trixie's) with
 * http and with https (auto-TLS), the three walks run concurrently, one test each.
 * Hand-made records adopted while a resolver loop sees the SRV set at every instant; three members bootstrapped from srvctl's env renders; a fourth
 * joins; a failed member is replaced; one moves to a new host; one is removed; destroy.
 * After every step `drift --etcd` exits 0 and etcd's member list is exactly DNS's SRV set;
 * every step is first tried with a wrong TSIG secret, which leaves DNS and etcd as they were.
 */
const KEY = newKey('srvctl');
const GOOD = { SRVCTL_TSIG: KEY.secret };
const BROKEN = { SRVCTL_TSIG: newKey('srvctl').secret };

interface Node {
  name: string;
  host: string;
  ip: string;
  clientPort: number;
  state?: 'existing';
}
const node = (name: string, host: string, ip: string, clientPort: number, state?: 'existing'): Node => ({ name, host: `${host}.${DOMAIN}`, ip, clientPort, state });
const N1 = node('node1', 'node1', '127.0.0.11', 2379);
const N2 = node('node2', 'node2', '127.0.0.12', 2479);
const N3 = node('node3', 'node3', '127.0.0.13', 2579);
const N4 = node('node4', 'node4', '127.0.0.14', 2679, 'existing');
/** node3's replacement: the same name on a new host, an empty data dir */
const N3R = node('node3', 'node3r', '127.0.0.23', 2779, 'existing');
/** node2 moved: a new host, its data dir kept */
const N2M = node('node2', 'node2m', '127.0.0.22', 2479);
const ADDRESSES = [N1, N2, N3, N4, N3R, N2M].map((n) => n.ip);

const RUNS: { release: EtcdRelease; version: '3.4' | '3.5'; tls: boolean }[] = [
  { release: '3.4', version: '3.4', tls: true },
  { release: '3.5', version: '3.5', tls: false },
  { release: '3.5', version: '3.5', tls: true },
];

type Snapshot = { dns: string[]; etcd: string[] };

/** One walk: everything it starts lives in its own namespace; `run` resolves with the step log. */
class Walk {
  readonly scheme: 'https' | 'http';
  readonly insecure: string[];
  readonly server: string;
  readonly client: string;
  bed!: EtcdBed;
  bind?: Bind;
  file!: string;
  private steps = 0;

  constructor(
    readonly release: EtcdRelease,
    readonly version: string,
    readonly tls: boolean,
  ) {
    this.scheme = tls ? 'https' : 'http';
    this.insecure = tls ? ['--insecure-skip-tls-verify'] : [];
    const suffix = tls ? '-ssl' : '';
    this.server = `_etcd-server${suffix}._tcp.${DOMAIN}`;
    this.client = `_etcd-client${suffix}._tcp.${DOMAIN}`;
  }

  srvctl(args: string[], env = GOOD) {
    return this.bed.srvctl(args, env);
  }

  /** endpoints: the running members' client URLs (none before the cluster runs) */
  writeManifest(nodes: Node[], withEndpoints = true): void {
    const endpoints = withEndpoints ? `, endpoints: [${nodes.map((n) => `"${this.scheme}://${n.ip}:${n.clientPort}"`).join(', ')}]` : '';
    writeFileSync(
      this.file,
      `version: 1
cluster: life
domain: ${DOMAIN}
etcd: { version: "${this.version}", tls: ${this.tls}${this.tls ? ', autoTls: true' : ''}, token: life-${this.release}-${this.scheme}${endpoints} }
provider: { type: rfc2136, server: 127.0.0.1, port: 53, tsig: { name: srvctl, secretEnv: SRVCTL_TSIG } }
members:
${nodes.map((n) => `  - { name: ${n.name}, host: ${n.host}, ipv4: ${n.ip}, clientPort: ${n.clientPort}${n.state ? `, state: ${n.state}` : ''} }`).join('\n')}
verify: { wait: 20s, timeout: 1s }
`,
    );
  }

  async setup(): Promise<void> {
    this.bed = new EtcdBed(`walk${this.release.replace(/\W/g, '')}${this.tls ? 's' : 'p'}`, this.release);
    await this.bed.setup(ADDRESSES);
    // the hand-made records an operator has today: exactly what the manifest will want, no markers
    const handMade = [
      `$ORIGIN ${DOMAIN}.`,
      '$TTL 300',
      '@ IN SOA ns1 hostmaster 1 3600 600 604800 60',
      '@ IN NS ns1',
      'ns1 IN A 127.0.0.1',
      ...[N1, N2, N3].map((n) => `${this.server}. 300 IN SRV 0 0 2380 ${n.host}.`),
      ...[N1, N2, N3].map((n) => `${this.client}. 300 IN SRV 0 0 ${n.clientPort} ${n.host}.`),
      ...[N1, N2, N3].map((n) => `${n.host}. 300 IN A ${n.ip}`),
      '',
    ].join('\n');
    this.bind = new Bind({ zone: DOMAIN, zoneText: handMade, port: 53, keys: [KEY], prefix: ['ip', 'netns', 'exec', this.bed.ns], dir: this.bed.dir });
    await this.bind.start();
    this.file = join(this.bed.dir, 'cluster.yaml');
  }

  async teardown(): Promise<void> {
    await this.bed?.stopMembers();
    await this.bind?.stop();
    await this.bed?.teardown();
  }

  /** What DNS serves (the SRV sets and every address ever used) and etcd's member list. */
  async snapshot(): Promise<Snapshot> {
    const hosts = [N1, N2, N3, N4, N3R, N2M].map((n) => [n.host, 'A']);
    const questions = [[this.server, 'SRV'], [this.client, 'SRV'], ...hosts].flat();
    const r = await this.bed.exec(['dig', '@127.0.0.1', '+noall', '+answer', '+norec', '+time=1', '+tries=2', ...questions]);
    assert.equal(r.code, 0, r.stderr);
    const dns = r.stdout.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter(Boolean).sort();
    const list = await this.bed.memberList();
    const etcd = (list?.members ?? []).map((m) => `${m.id} ${m.name} ${m.peerURLs.join(',')}`).sort();
    return { dns, etcd };
  }

  /** Polls etcd's member list until `ok` holds (an event), within a bound that fails the test. */
  async waitFor(what: string, ok: (members: { id: string; name: string; peerURLs: string[] }[]) => boolean, maxMs = 30_000) {
    const until = Date.now() + maxMs;
    for (;;) {
      const list = await this.bed.memberList();
      if (list && ok(list.members)) return list;
      if (Date.now() > until) assert.fail(`${this.release} ${this.scheme}: ${what} did not happen within ${maxMs / 1000}s: ${JSON.stringify(list?.members)}\n${this.bed.logs()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Until etcd answers healthy on this member's own client URL: it runs and has a leader. */
  async waitHealthy(n: Node, maxMs = 30_000): Promise<void> {
    const url = `${this.scheme}://${n.ip}:${n.clientPort}`;
    const tls = this.tls ? ['--insecure-skip-tls-verify', '--insecure-transport=false'] : [];
    const until = Date.now() + maxMs;
    for (;;) {
      const r = await this.bed.exec([this.bed.bin.etcdctl, '--endpoints', url, ...tls, '--command-timeout=2s', '--dial-timeout=1s', 'endpoint', 'health'], 5000);
      if (r.code === 0) return;
      if (Date.now() > until) assert.fail(`${n.name} at ${url} never became healthy: ${r.stderr}\n${this.bed.logs()}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  start(n: Node, envDir: string): void {
    const envFile = join(envDir, `${n.name}.env`);
    assert.ok(existsSync(envFile), `${envFile} rendered`);
    const spec: MemberSpec = { name: n.name, ip: n.ip, peerScheme: this.scheme, clientUrl: `${this.scheme}://${n.ip}:${n.clientPort}` };
    this.bed.startRendered(spec, { envFile });
  }

  /** drift --etcd exits 0, and etcd's member list is exactly the server SRV set DNS serves. */
  async assertAgree(step: string): Promise<void> {
    const drift = await this.srvctl(['drift', this.file, '--etcd', ...this.insecure, '--json']);
    assert.equal(drift.code, 0, `${step}: drift --etcd\n${drift.stderr}\n${drift.stdout}`);
    const { dns } = await this.snapshot();
    const srv = dns.filter((l) => l.startsWith(`${this.server}.`) && / SRV /.test(l)).map((l) => {
      const [, , , , , , port, target] = l.split(' ');
      return `${target!.replace(/\.$/, '').toLowerCase()}:${port}`;
    });
    const list = await this.bed.memberList();
    assert.ok(list, `${step}: no member answers`);
    assert.deepEqual(list.members.flatMap((m) => m.peerURLs.map(peerKey)).sort(), srv.sort(), `${step}: etcd's member list is DNS's SRV set`);
    assert.ok(list.members.every((m) => m.name), `${step}: every member started`);
  }

  /**
   * One lifecycle step: the new manifest; sync with a wrong TSIG secret first (refused
   * before any write: DNS and etcd as they were); then sync for real.
   */
  async sync(step: string, nodes: Node[], flags: string[] = []): Promise<{ doc: Record<string, any>; envDir: string }> {
    this.writeManifest(nodes);
    const envDir = join(this.bed.dir, `env-${++this.steps}`);
    const args = ['sync', this.file, '--yes', '--format', 'env', '--out', envDir, '--json', ...this.insecure, ...flags];
    const before = await this.snapshot();
    const broken = await this.srvctl(args, BROKEN);
    assert.equal(broken.code, 1, `${step} with a wrong TSIG secret: ${broken.stderr}`);
    assert.equal(JSON.parse(broken.stdout).writes.length, 0);
    assert.deepEqual(await this.snapshot(), before, `${step} with a wrong TSIG secret left DNS and etcd as they were`);
    const r = await this.srvctl(args);
    assert.equal(r.code, 0, `${step}: ${r.stderr}`);
    return { doc: JSON.parse(r.stdout), envDir };
  }

  async run(): Promise<void> {
    // adopt hand-made records, bootstrap three members from the renders
    this.writeManifest([N1, N2, N3], false);
    // a resolver loop asks for the SRV set the whole time the adoption runs: it never has a gap
    const samples = join(this.bed.dir, 'srv-samples');
    const loop = spawn('ip', ['netns', 'exec', this.bed.ns, 'sh', '-c', `while :; do dig @127.0.0.1 +short +norec +time=1 +tries=1 ${this.server} SRV | wc -l; done > ${samples}`], { stdio: 'ignore' });
    const adopted = await this.srvctl(['sync', this.file, '--adopt', '--yes', '--format', 'env', '--out', join(this.bed.dir, 'env-0'), '--json']);
    await stop(loop);
    const seen = readFileSync(samples, 'utf8').split('\n').filter(Boolean).map((l) => l.trim());
    assert.ok(seen.length >= 2, `the resolver loop asked ${seen.length} time(s)`);
    assert.deepEqual([...new Set(seen)], ['3'], 'the SRV set at every instant of the adoption');
    assert.equal(adopted.code, 0, adopted.stderr);
    const doc = JSON.parse(adopted.stdout);
    assert.equal(doc.plan.summary.adopt, 9);
    assert.equal(doc.plan.summary.create, 0);
    for (const n of [N1, N2, N3]) this.start(n, join(this.bed.dir, 'env-0'));
    // node1..node3 by name: the steps below address them so (a list of three named members is not enough)
    const boot = await this.waitFor('a 3-member cluster of node1, node2 and node3', (ms) => ms.length === 3 && [N1, N2, N3].every((n) => ms.some((m) => m.name === n.name)));
    assert.equal(boot.clusterId, doc.prediction.cluster.formed.clusterId, 'the cluster ID srvctl predicted on served DNS');
    await this.assertAgree('bootstrap');

    // join a fourth: member add, then its records; it starts from its render (state existing)
    const join4 = await this.sync('join node4', [N1, N2, N3, N4]);
    assert.deepEqual(join4.doc.writes.map((w: { action: string }) => w.action), ['member add', 'dns apply']);
    assert.deepEqual(join4.doc.joining, [{ member: 'node4', clusterId: boot.clusterId }], 'the joining member names the running cluster');
    for (const where of [join4.doc.verdict, join4.doc.prediction]) {
      assert.equal(where.members.find((m: { name: string }) => m.name === 'node4').clusterId, boot.clusterId, "node4's prediction names the running cluster's ID");
    }
    this.start(N4, join4.envDir);
    await this.waitFor('node4 started', (ms) => ms.length === 4 && ms.every((m) => m.name));
    await this.assertAgree('join');

    // replace node3, which failed (stopped, its disk lost): remove the old, add the new, publish
    const old3 = boot.members.find((m) => m.name === 'node3')!;
    await this.bed.stopMember('node3');
    rmSync(join(this.bed.dir, 'member-node3'), { recursive: true, force: true });
    const rep = await this.sync('replace node3', [N1, N2, N3R, N4], ['--replace-members']);
    assert.deepEqual(rep.doc.writes.map((w: { action: string; memberId?: string }) => [w.action, w.action === 'member remove' ? w.memberId : '']), [['member remove', old3.id], ['member add', ''], ['dns apply', '']]);
    this.start(N3R, rep.envDir);
    await this.waitFor('the new node3 started', (ms) => ms.length === 4 && ms.every((m) => m.name) && ms.some((m) => m.name === 'node3' && m.peerURLs[0]!.includes('node3r')));
    await this.assertAgree('replace');

    // move node2 to a new host: member update, then the records; it restarts there with its data dir
    const mv = await this.sync('move node2', [N1, N2M, N3R, N4], ['--move-members']);
    const id2 = boot.members.find((m) => m.name === 'node2')!.id;
    assert.deepEqual(mv.doc.writes.map((w: { action: string; memberId?: string }) => [w.action, w.memberId]), [['member update', id2], ['dns apply', undefined]]);
    await this.bed.stopMember('node2');
    this.start(N2M, mv.envDir);
    await this.waitHealthy(N2M);
    await this.waitFor('node2 at its new host', (ms) => ms.some((m) => m.id === id2 && m.name === 'node2' && peerKey(m.peerURLs[0]!) === `${N2M.host}:2380`));
    await this.assertAgree('move');

    // remove node1: member remove (it stops itself), then its records
    const rm = await this.sync('remove node1', [N2M, N3R, N4], ['--remove-members']);
    assert.deepEqual(rm.doc.writes.map((w: { action: string }) => w.action), ['member remove', 'dns apply']);
    await this.waitFor('node1 gone', (ms) => ms.length === 3 && !ms.some((m) => m.name === 'node1') && ms.every((m) => m.name));
    await this.assertAgree('remove');

    // destroy, once the cluster is stopped
    await this.bed.stopMembers();
    const destroyed = await this.srvctl(['destroy', this.file, '--yes', '--json', ...this.insecure]);
    assert.equal(destroyed.code, 0, destroyed.stderr);
    assert.equal(JSON.parse(destroyed.stdout).verify.ok, true, 'every nameserver stopped answering the records');
    const { dns } = await this.snapshot();
    assert.deepEqual(dns.filter((l) => / (SRV|A) /.test(l) && !l.startsWith('ns1')), [], 'nothing of the cluster left in DNS');
  }
}

describe('the life of one cluster on real etcd 3.4 (https peers) and 3.5 (http, https): adopt, bootstrap, join, replace, move, remove, destroy', function () {
  this.timeout(300_000);
  const walks = RUNS.map((r) => new Walk(r.release, r.version, r.tls));
  const done = new Map<Walk, Promise<void>>();

  before(async () => {
    await Promise.all(walks.map((w) => w.setup()));
    // the three walks run concurrently; each test waits for its own
    for (const w of walks) {
      const p = w.run();
      p.catch(() => {});
      done.set(w, p);
    }
  });
  after(async () => {
    await Promise.all([...done.values()].map((p) => p.catch(() => {})));
    await Promise.all(walks.map((w) => w.teardown()));
  });

  for (const [i, r] of RUNS.entries()) {
    it(`etcd ${r.release} with ${r.tls ? 'https' : 'http'} peers: every step leaves drift --etcd clean and etcd's member list equal to DNS; a broken credential changes nothing`, async () => {
      await done.get(walks[i]!);
    });
  }
});
