import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from '../../src/dns/transport.js';
import { Bind, newKey, nsupdate } from '../support/bind.js';
import { freePort } from '../support/ports.js';
import { run } from './harness.js';

/**
 * Cases of issue 12 that damaged DNS before srvctl's checks objected, replayed in-process
 * against a real BIND: each is now refused before any write, and the zone (SOA serial and
 * every RRset involved) is identical before and after.
 */
const KEY = newKey('srvctl');
const ENV = { SECRET: KEY.secret };
const ZONE_TEXT = `$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n`;

function manifest(port: number, o: { cluster?: string; peerPort?: number; serviceName?: string; extraMembers?: string } = {}): string {
  return `version: 1
cluster: ${o.cluster ?? 'alpha'}
domain: coreos.example.com
etcd: { version: "3.5"${o.serviceName ? `, serviceName: ${o.serviceName}` : ''} }
provider: { type: rfc2136, zone: example.com, server: 127.0.0.1, port: ${port}, tsig: { name: srvctl, secretEnv: SECRET } }
members:
  - { name: node1, host: node1.coreos.example.com, ipv4: 10.0.0.1${o.peerPort ? `, peerPort: ${o.peerPort}` : ''} }
  - { name: node2, host: node2.coreos.example.com, ipv4: 10.0.0.2${o.peerPort ? `, peerPort: ${o.peerPort}` : ''} }
  - { name: node3, host: node3.coreos.example.com, ipv4: 10.0.0.3${o.peerPort ? `, peerPort: ${o.peerPort}` : ''} }
${o.extraMembers ?? ''}verify: { wait: 5s, timeout: 1s, nameservers: ["127.0.0.1:${port}"] }
`;
}

describe('issue 12 cases, refused before any write (in-process, real BIND)', function () {
  this.timeout(60_000);
  let bind: Bind;
  let dir: string;
  const ask = (name: string, type: string) => query({ host: '127.0.0.1', port: bind.port }, name, type, { timeoutMs: 1000, retries: 2 });
  /** The zone as DNS serves it at every name these cases touch. */
  const snapshot = async () => {
    const out: string[] = [];
    for (const name of ['example.com', '_etcd-server._tcp.coreos.example.com', '_etcd-client._tcp.coreos.example.com', '_etcd-server-svc._tcp.coreos.example.com', 'node1.coreos.example.com', 'node2.coreos.example.com', 'node3.coreos.example.com', 'node9.coreos.example.com']) {
      for (const type of name === 'example.com' ? ['SOA'] : ['SRV', 'A', 'TXT', 'CNAME']) {
        const a = await ask(name, type);
        out.push(`${name} ${type} ${a.rcode} ${a.answers.map((r) => r.rdata).sort().join(' | ')}`);
      }
    }
    return out;
  };

  before(async () => {
    bind = new Bind({ zone: 'example.com', zoneText: ZONE_TEXT, port: await freePort(), keys: [KEY] });
    await bind.start();
    dir = mkdtempSync(join(tmpdir(), 'srvctl-refusals-'));
  });
  after(async () => {
    await bind?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serviceName with the cloud-config format: refused in stage 1, before the provider is even read', async () => {
    const file = join(dir, 'svc.yaml');
    writeFileSync(file, manifest(bind.port, { serviceName: 'svc' }));
    const before = await snapshot();
    const r = await run({ mode: 'sync', file, yes: true, format: 'cloud-config' }, { env: ENV });
    assert.equal(r.error?.code, 'usage');
    assert.equal(r.error?.stage, 'load');
    assert.match(r.error!.message, /cloud-config.*serviceName|discovery-srv-name/);
    assert.equal(r.provider, undefined);
    assert.deepEqual(await snapshot(), before);
  });

  it('the first cluster syncs; a second cluster on the same domain is refused in stage 3 (its SRV set would merge)', async () => {
    const first = join(dir, 'alpha.yaml');
    writeFileSync(first, manifest(bind.port));
    const ok = await run({ mode: 'sync', file: first, yes: true, format: 'env' }, { env: ENV });
    assert.equal(ok.error, undefined, JSON.stringify(ok.error));
    assert.equal(ok.outcome, 'applied');
    assert.equal(ok.verdict?.ok, true);

    const second = join(dir, 'beta.yaml');
    writeFileSync(second, manifest(bind.port, { cluster: 'beta' }).replace(/node(\d)\.coreos/g, 'other$1.coreos').replace(/name: node/g, 'name: other').replace(/10\.0\.0\./g, '10.0.1.'));
    const before = await snapshot();
    for (const mode of ['plan', 'sync'] as const) {
      const r = await run({ mode, file: second, yes: true, format: 'env' }, { env: ENV });
      assert.equal(r.error?.code, 'prediction', `${mode}: ${JSON.stringify(r.error)}`);
      assert.equal(r.outcome, 'refused');
      assert.equal(r.verdict?.ok, false);
      assert.ok(r.verdict!.errors.some((f) => /no cluster forms: 3 of 6 initial members run/.test(f.message)), JSON.stringify(r.verdict!.errors));
      assert.ok(r.verdict!.errors.some((f) => f.code === 'merge' && /holds the SRV records of cluster alpha/.test(f.message)), 'the cause is named');
      assert.deepEqual(r.writes, []);
    }
    assert.deepEqual(await snapshot(), before);
  });

  it('a port change over hand-made records (a phantom member) is refused in stage 3', async () => {
    await nsupdate(bind.port, KEY, ['update add _etcd-server._tcp.coreos.example.com 300 SRV 0 0 2380 node9.coreos.example.com', 'update add node9.coreos.example.com 300 A 10.0.0.9']);
    const file = join(dir, 'port.yaml');
    writeFileSync(file, manifest(bind.port, { peerPort: 2390 }));
    const before = await snapshot();
    const plan = await run({ mode: 'plan', file }, { env: ENV });
    assert.equal(plan.error?.code, 'prediction');
    assert.ok(plan.plan!.changes.length > 0, 'the plan itself is shown');
    const r = await run({ mode: 'sync', file, yes: true, format: 'env' }, { env: ENV });
    assert.equal(r.outcome, 'refused');
    assert.ok(r.verdict!.errors.some((f) => /phantom/.test(f.message) && /node9/.test(f.message)), JSON.stringify(r.verdict!.errors));
    assert.deepEqual(await snapshot(), before);
  });

  it('--no-verify skips only the DNS queries after the write: a phantom SRV and a CNAME target are still refused', async () => {
    await nsupdate(bind.port, KEY, ['update delete node9.coreos.example.com A', 'update add node9.coreos.example.com 300 CNAME node1.coreos.example.com']);
    const file = join(dir, 'noverify.yaml');
    writeFileSync(file, manifest(bind.port, { peerPort: 2390 }));
    const before = await snapshot();
    const r = await run({ mode: 'sync', file, yes: true, verify: false, format: 'env' }, { env: ENV });
    assert.equal(r.outcome, 'refused');
    assert.equal(r.error?.stage, 'predict-planned');
    assert.ok(r.verdict!.warnings.some((f) => f.code === 'cname-target'), JSON.stringify(r.verdict!.warnings));
    assert.ok(r.verdict!.errors.length > 0);
    assert.deepEqual(r.writes, []);
    assert.deepEqual(await snapshot(), before);
  });

  it('json keeps what was gathered: the refused report carries plan, verdict and no writes', async () => {
    const { reportJson } = await import('../../src/reconcile/format.js');
    const file = join(dir, 'noverify.yaml');
    const r = await run({ mode: 'plan', file }, { env: ENV });
    const doc = JSON.parse(JSON.stringify(reportJson(r)));
    assert.equal(doc.outcome, 'refused');
    assert.equal(doc.verdict.ok, false);
    assert.ok(doc.plan.changes.length > 0);
    assert.deepEqual(doc.writes, []);
    assert.equal(readFileSync(file, 'utf8').includes('2390'), true);
  });
});
