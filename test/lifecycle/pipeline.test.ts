import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openProvider } from '../../providers/index.js';
import type { LiveMember } from '../../src/drift/membership.js';
import type { EtcdClient } from '../../src/etcd/client.js';
import { SrvctlError } from '../../src/errors.js';
import { requireManifest } from '../../src/manifest/load.js';
import { parseSavedPlan, savePlan } from '../../src/plan/saved.js';
import { reconcile } from '../../src/reconcile/pipeline.js';
import type { ReconcileDeps, ReconcileRequest } from '../../src/reconcile/types.js';
import { desiredRecords } from '../../src/records/desired.js';
import { recordText } from '../../src/records/record.js';
import { fixtureText } from '../support/manifests.js';

/**
 * The lifecycle through the reconcile core, in-process, on the zone-file provider: adopt,
 * saved plans, destroy. Stage 6 is skipped (verify: false): these tests are about what is
 * judged and written; the DNS proof of each step is the real-server tests' job.
 */
const SOA = '$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n';

function fakeEtcd(members: LiveMember[] | Error): EtcdClient {
  const fail = async () => {
    throw new Error('not in this test');
  };
  return {
    endpoints: ['http://127.0.0.1:1'],
    memberList: async () => {
      if (members instanceof Error) throw members;
      return members;
    },
    memberAdd: fail,
    memberRemove: fail,
    memberUpdate: fail,
  };
}

describe('lifecycle through the reconcile core (zone file, in-process)', () => {
  let dir: string;
  let manifestFile: string;
  let zoneFile: string;
  const manifest = () => requireManifest(manifestFile, fixtureText()).manifest;
  const handMade = () => SOA + desiredRecords(manifest()).map((r) => `${recordText(r)}\n`).join('');
  let etcd: EtcdClient | undefined;
  const deps = (): ReconcileDeps => ({
    readText: (f) => readFile(f, 'utf8'),
    openProvider: (m) => openProvider(m, { env: {}, debug: () => {}, now: () => new Date('2026-12-01T21:00:00Z') }),
    query: async () => {
      throw new Error('no DNS in these tests');
    },
    lookupHost: async () => [],
    etcdClient: () => etcd ?? fakeEtcd(new Error('no etcd configured')),
    now: () => new Date('2026-12-01T21:00:00Z'),
    sleep: async () => {},
    confirm: async () => false,
  });
  const run = (req: Omit<ReconcileRequest, 'file'>) => reconcile({ file: manifestFile, verify: false, yes: true, ...req }, deps());

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'srvctl-lifecycle-'));
    manifestFile = join(dir, 'cluster.yaml');
    zoneFile = join(dir, 'example.com.zone');
    await writeFile(manifestFile, fixtureText());
    etcd = undefined;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sync --adopt takes hand-made records over in place: records untouched, markers added, then in sync', async () => {
    await writeFile(zoneFile, handMade());
    const plain = await run({ mode: 'plan' });
    assert.equal(plain.plan!.conflicts.length, 9, 'without --adopt they are conflicts');
    const planned = await run({ mode: 'plan', adopt: true });
    assert.equal(planned.outcome, 'pending');
    assert.equal(planned.plan!.changes.filter((c) => c.action === 'adopt').length, 9);
    assert.ok(planned.verdict!.ok, JSON.stringify(planned.verdict));

    const synced = await run({ mode: 'sync', adopt: true });
    assert.equal(synced.outcome, 'applied', JSON.stringify(synced.error));
    const text = await readFile(zoneFile, 'utf8');
    for (const r of desiredRecords(manifest())) assert.ok(text.includes(r.rdata), `${recordText(r)} kept`);
    assert.equal((text.match(/heritage=srvctl,srvctl\/owner=prod-etcd/g) ?? []).length, 9);
    const again = await run({ mode: 'plan' });
    assert.equal(again.outcome, 'in-sync');
  });

  it('sync --adopt refuses a record that differs in TTL: exit-1 refusal at the plan stage, zone file byte for byte as it was', async () => {
    const before = handMade().replace(/300 IN A 10\.0\.0\.2/, '60 IN A 10.0.0.2');
    await writeFile(zoneFile, before);
    const r = await run({ mode: 'sync', adopt: true });
    assert.equal(r.outcome, 'refused');
    assert.equal(r.error?.stage, 'plan');
    assert.equal(r.error?.code, 'provider');
    assert.match(r.error!.details.join('\n'), /node2\.coreos\.example\.com\. 60 IN A 10\.0\.0\.2: TTL 60 differs from the manifest's 300/);
    assert.deepEqual(r.writes, []);
    assert.equal(await readFile(zoneFile, 'utf8'), before);
  });

  it('sync --adopt-from a renamed cluster id swaps the markers', async () => {
    await writeFile(manifestFile, fixtureText().replace('cluster: prod-etcd', 'cluster: old-name'));
    assert.equal((await run({ mode: 'sync' })).outcome, 'applied');
    await writeFile(manifestFile, fixtureText());
    const refused = await run({ mode: 'sync', adopt: true });
    assert.equal(refused.outcome, 'refused');
    assert.match(refused.error!.details[0]!, /marked by cluster old-name; srvctl never adopts another owner's record \(if old-name is this cluster's old id, use --adopt-from old-name\)/);
    const took = await run({ mode: 'sync', adoptFrom: 'old-name' });
    assert.equal(took.outcome, 'applied', JSON.stringify(took.error));
    const text = await readFile(zoneFile, 'utf8');
    assert.equal((text.match(/owner=old-name/g) ?? []).length, 0);
    assert.equal((text.match(/owner=prod-etcd/g) ?? []).length, 9);
  });

  it('plan --out / sync --plan: applies when nothing changed; refuses after a foreign change, naming it, and writes nothing', async () => {
    await writeFile(zoneFile, SOA);
    const p = await run({ mode: 'plan' });
    const saved = savePlan({ kind: 'sync', manifest: p.manifest!, provider: p.provider!.type, names: p.readNames!, actual: p.actual!, plan: p.plan!, now: new Date() });
    const file = parseSavedPlan('plan.json', JSON.stringify(saved));

    // someone adds a record at a managed name between plan and sync
    const changed = `${SOA}_etcd-server._tcp.coreos IN SRV 0 0 2380 intruder.example.com.\n`;
    await writeFile(zoneFile, changed);
    const refused = await run({ mode: 'sync', savedPlan: file });
    assert.equal(refused.outcome, 'refused');
    assert.match(refused.error!.details.join('\n'), /\+ _etcd-server\._tcp\.coreos\.example\.com\. 300 IN SRV 0 0 2380 intruder\.example\.com\./);
    assert.equal(await readFile(zoneFile, 'utf8'), changed);

    await writeFile(zoneFile, SOA);
    const applied = await run({ mode: 'sync', savedPlan: file });
    assert.equal(applied.outcome, 'applied', JSON.stringify(applied.error));
    assert.equal((await run({ mode: 'plan' })).outcome, 'in-sync');

    // the same saved plan again: the provider no longer holds what it was made from
    const stale = await run({ mode: 'sync', savedPlan: file });
    assert.equal(stale.outcome, 'refused');
    assert.match(stale.error!.details.join('\n'), /the provider changed since the plan was made/);
  });

  it('destroy deletes every owned record and marker, keeps foreign ones; a second destroy is refused (nothing owned)', async () => {
    await writeFile(zoneFile, `${SOA}keep IN A 10.9.9.9\n_etcd-server._tcp.coreos IN SRV 0 0 2380 handmade.example.com.\n`);
    assert.equal((await run({ mode: 'sync', force: true })).outcome, 'applied');
    const d = await run({ mode: 'destroy' });
    assert.equal(d.outcome, 'applied', JSON.stringify(d.error));
    assert.equal(d.plan!.changes.filter((c) => !c.marker).length, 9);
    assert.deepEqual(d.guards.map((g) => g.code), ['destroy-unverified']);
    const text = await readFile(zoneFile, 'utf8');
    assert.doesNotMatch(text, /heritage=srvctl/);
    assert.doesNotMatch(text, /10\.0\.0\.1/);
    assert.match(text, /10\.9\.9\.9/);
    assert.match(text, /handmade\.example\.com\./);

    const again = await run({ mode: 'destroy' });
    assert.equal(again.outcome, 'refused');
    assert.match(again.error!.details[0]!, /^nothing to destroy/);
    assert.equal(await readFile(zoneFile, 'utf8'), text);
  });

  it('destroy with endpoints: refused while a member runs (--force warns), allowed when nothing listens, refused when it cannot tell', async () => {
    await writeFile(zoneFile, SOA);
    assert.equal((await run({ mode: 'sync' })).outcome, 'applied');
    const full = await readFile(zoneFile, 'utf8');
    const endpoints = ['http://10.0.0.1:2379'];

    etcd = fakeEtcd([{ id: 'a1b2', name: 'node1', peerURLs: ['http://node1.coreos.example.com:2380'], clientURLs: [] }]);
    const running = await run({ mode: 'destroy', etcdEndpoints: endpoints });
    assert.equal(running.outcome, 'refused');
    assert.equal(running.error?.code, 'guard');
    assert.deepEqual(running.guards.map((g) => [g.code, g.effect, g.memberId]), [['destroy-running', 'refuse', 'a1b2']]);
    assert.equal(await readFile(zoneFile, 'utf8'), full);

    etcd = fakeEtcd(new SrvctlError('provider', 'etcd member list: no etcd endpoint answered', ['https://10.0.0.1:2379: certificate has expired']));
    const unknown = await run({ mode: 'destroy', etcdEndpoints: endpoints });
    assert.equal(unknown.outcome, 'refused');
    assert.deepEqual(unknown.guards.map((g) => [g.code, g.effect]), [['destroy-unverified', 'refuse']]);
    assert.equal(await readFile(zoneFile, 'utf8'), full);

    etcd = fakeEtcd([{ id: 'a1b2', name: 'node1', peerURLs: ['http://node1.coreos.example.com:2380'], clientURLs: [] }]);
    const forced = await run({ mode: 'destroy', etcdEndpoints: endpoints, force: true });
    assert.equal(forced.outcome, 'applied');
    assert.deepEqual(forced.guards.map((g) => [g.code, g.effect]), [['destroy-running', 'warn']]);

    assert.equal((await run({ mode: 'sync' })).outcome, 'applied');
    etcd = fakeEtcd(new SrvctlError('provider', 'etcd member list: no etcd endpoint answered', ['http://10.0.0.1:2379: connection refused']));
    const down = await run({ mode: 'destroy', etcdEndpoints: endpoints });
    assert.equal(down.outcome, 'applied', JSON.stringify(down.error));
    assert.deepEqual(down.guards, []);
  });
});
