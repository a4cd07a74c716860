import assert from 'node:assert/strict';
import { openProvider } from '../../providers/index.js';
import type { ProviderContext } from '../../providers/provider.js';
import { cloudflareBudget } from '../../providers/rate-budget.js';
import { SrvctlError } from '../../src/errors.js';
import { markerFor } from '../../src/records/ownership.js';
import { FakeCloudflare } from '../support/cloudflare/fake.js';
import { clusterYaml, manifestFrom, planInProcess, syncInProcess } from './pipeline.js';

const TOKEN = 'cf-writes-token-5c2e';

/** A clock and a sleep that only move forward when srvctl waits: no test waits for real. */
function fakeTime() {
  const t = { now: 1_000_000, slept: 0 };
  const ctx = (): ProviderContext => ({
    env: { CLOUDFLARE_API_TOKEN: TOKEN },
    debug: () => {},
    now: () => new Date(t.now),
    sleep: async (ms: number) => {
      t.now += ms;
      t.slept += ms;
    },
  });
  return { t, ctx };
}

describe('writes: Cloudflare', function () {
  this.timeout(60_000);
  let fake: FakeCloudflare;
  let zoneId: string;
  let time: ReturnType<typeof fakeTime>;
  const manifest = (members: number, extra = '') =>
    manifestFrom('/nonexistent/c.yaml', clusterYaml({ cluster: 'prod-etcd', domain: 'coreos.example.com', zone: 'example.com', members, net: 1, provider: `  type: cloudflare\n  baseUrl: "${fake.baseUrl}"\n${extra}` }));

  beforeEach(async () => {
    cloudflareBudget.clear();
    fake = new FakeCloudflare();
    await fake.start();
    zoneId = fake.addZone('example.com');
    fake.tokens.set(TOKEN, 'edit');
    time = fakeTime();
  });
  afterEach(async () => {
    cloudflareBudget.clear();
    await fake.stop();
  });

  it('a Free zone of 200 records holds a 60-member cluster: ownership in comments, no TXT markers', async () => {
    fake.recordQuota = 200;
    const m = manifest(60);
    const { plan } = await syncInProcess(m, time.ctx());
    assert.equal(fake.records.length, 180);
    assert.ok(!fake.records.some((r) => r.type === 'TXT'), 'no TXT record on Cloudflare');
    assert.ok(fake.records.every((r) => r.comment === 'srvctl:prod-etcd'));
    assert.ok(plan.changes.filter((c) => c.marker).length === 180, 'the plan still carries one ownership claim per record');
    assert.deepEqual((await planInProcess(m, time.ctx())).changes, [], 'the comments are read back as ownership');
    assert.deepEqual(fake.violations, []);
    // The same cluster with TXT markers would not fit: the fake refuses past its quota.
    fake.records = [];
    for (let i = 0; i < 100; i++) fake.seed(zoneId, { name: `filler${i}.example.com`, type: 'TXT', content: '"x"' });
    await assert.rejects(syncInProcess(m, time.ctx()), (e: unknown) => e instanceof SrvctlError && /81045|quota/i.test(e.message));
  });

  it('TXT markers of an older srvctl are migrated into comments in one sync; foreign records and record ids untouched', async () => {
    const m = manifest(3);
    // What srvctl wrote before: records with an informational comment, and a TXT marker beside each.
    const seeded = [];
    for (const r of (await import('../../src/records/desired.js')).desiredRecords(m)) {
      const f = r.rdata.split(' ');
      const body = r.type === 'SRV' ? { data: { priority: Number(f[0]), weight: Number(f[1]), port: Number(f[2]), target: f[3]!.replace(/\.$/, '') } } : { content: r.rdata };
      seeded.push(fake.seed(zoneId, { name: r.name, type: r.type, ttl: r.ttl, comment: 'srvctl: owned by cluster prod-etcd', ...body }));
      const mk = markerFor(r, 'prod-etcd');
      fake.seed(zoneId, { name: mk.name, type: 'TXT', ttl: r.ttl, content: mk.rdata });
    }
    const foreign = fake.seed(zoneId, { name: 'm0.coreos.example.com', type: 'TXT', content: '"hand-written"', comment: 'ours, not srvctl\'s' });
    const { plan } = await syncInProcess(m, time.ctx());
    assert.ok(plan.changes.every((c) => c.marker), `only ownership changes: ${JSON.stringify(plan.changes.filter((c) => !c.marker))}`);
    assert.deepEqual(fake.records.filter((r) => r.type === 'TXT').map((r) => r.id), [foreign.id], 'every TXT marker is gone, the foreign TXT stays');
    for (const s of seeded) assert.equal(fake.records.find((r) => r.id === s.id)?.comment, 'srvctl:prod-etcd', `${s.name} ${s.type} keeps its id and gets the claim`);
    assert.equal(fake.records.find((r) => r.id === foreign.id)?.comment, "ours, not srvctl's");
    assert.deepEqual((await planInProcess(m, time.ctx())).changes, []);
  });

  it('a record changed by another client between the plan and a batch stops the apply, naming the batches already applied', async () => {
    const m = manifest(12, '  batchSize: 10\n');
    const provider = await openProvider(m, time.ctx());
    const names = (await import('../../src/records/desired.js')).managedNames(m);
    const actual = await provider.read(names);
    const { diff } = await import('../../src/plan/diff.js');
    const { desiredRecords } = await import('../../src/records/desired.js');
    const plan = diff(desiredRecords(m), actual, 'prod-etcd', 'example.com');
    // Another client adds a record at a managed name after the first batch.
    let batches = 0;
    const original = fake.injections;
    fake.injections = [
      ...original,
      {
        when: (method, path) => {
          if (method === 'POST' && path.endsWith('/batch') && ++batches === 1) setImmediate(() => fake.seed(zoneId, { name: 'm3.coreos.example.com', type: 'A', content: '10.9.9.9' }));
          return false;
        },
        fault: '500',
      },
    ];
    await assert.rejects(provider.apply(plan), (e: unknown) => e instanceof SrvctlError && /changed at Cloudflare since the plan/.test(e.message) && /batches 1\.\.1 \(20 changes\) were applied/.test(e.message));
    assert.ok(fake.records.some((r) => r.content === '10.9.9.9'), 'the foreign record stays');
  });

  it('a persistent error while re-reading after a failed batch keeps the "batches 1..k were applied" wording', async () => {
    const m = manifest(12, '  batchSize: 10\n');
    let batches = 0;
    fake.injections = [
      { when: (method, path) => method === 'POST' && path.endsWith('/batch') && ++batches === 2, fault: '500', times: 1 },
      // every read after the failed second batch fails
      { when: (method) => method === 'GET' && batches >= 2, fault: '500', times: 1000 },
    ];
    await assert.rejects(syncInProcess(m, time.ctx()), (e: unknown) => e instanceof SrvctlError && /batches 1\.\.1 \(20 changes\) were applied/.test(e.message) && /may or may not have/.test(e.message));
  });

  it("srvctl's own budget keeps it under 1,200 requests per 5 minutes: it waits instead of tripping Cloudflare's block", async () => {
    fake.rateLimit = { limit: 1200, windowMs: 300_000, blockMs: 300_000, clock: () => time.t.now };
    const m = manifest(3, '  maxRateWait: 10m\n');
    const provider = await openProvider(m, time.ctx());
    for (let i = 0; i < 1300; i++) {
      await provider.read(['m0.coreos.example.com']);
      time.t.now += 10; // 10 ms a request
    }
    assert.equal(fake.blockedUntil, 0, 'Cloudflare never had to block srvctl');
    assert.ok(time.t.slept > 0 && time.t.slept <= 300_000, `waited ${time.t.slept} ms`);
  });

  it("Cloudflare's 5-minute block is waited out within provider.maxRateWait, or reported with what to do", async () => {
    fake.rateLimit = { limit: 1200, windowMs: 300_000, blockMs: 300_000, clock: () => time.t.now };
    fake.blockedUntil = time.t.now + 300_000; // another client of this user tripped it
    await syncInProcess(manifest(3), time.ctx());
    assert.ok(time.t.slept >= 300_000 && time.t.slept <= 360_000, `waited ${time.t.slept} ms`);
    assert.equal(fake.records.length, 9);

    fake.blockedUntil = time.t.now + 300_000;
    cloudflareBudget.clear();
    const before = time.t.slept;
    await assert.rejects(
      planInProcess(manifest(3, '  maxRateWait: 60s\n'), time.ctx()),
      (e: unknown) => e instanceof SrvctlError && /rate limit reached/.test(e.message) && /provider\.maxRateWait/.test(e.message) && /try again in 300 s/.test(e.message),
    );
    assert.equal(time.t.slept, before, 'no wait that could not end in success');
  });

  it('with a marker secret the comment carries a mac; a comment claim without one is foreign and never deleted', async () => {
    const secret = 'cloudflare-marker-secret-0123456789';
    const withSecret = (members: number) => manifest(members, '  ownership: { secretEnv: MARKERS }\n');
    const ctx = () => ({ ...time.ctx(), env: { CLOUDFLARE_API_TOKEN: TOKEN, MARKERS: secret } });
    // Someone with DNS:Edit writes a foreign SRV at the cluster's name with a forged claim.
    const forged = fake.seed(zoneId, { name: '_etcd-server._tcp.coreos.example.com', type: 'SRV', data: { priority: 0, weight: 0, port: 2380, target: 'other.example.net' }, comment: 'srvctl:prod-etcd' });
    const { plan } = await syncInProcess(withSecret(3), ctx());
    assert.ok(!plan.changes.some((c) => c.before && !c.marker), 'nothing foreign deleted or changed');
    assert.ok(fake.records.some((r) => r.id === forged.id), 'the forged-claim record stays');
    const mine = fake.records.filter((r) => r.id !== forged.id);
    assert.equal(mine.length, 9);
    assert.ok(mine.every((r) => /^srvctl:prod-etcd:[0-9a-f]{24}$/.test(r.comment ?? '')), 'every claim srvctl wrote has a mac');
    assert.ok(mine.every((r) => (r.comment ?? '').length <= 100));
    assert.deepEqual((await planInProcess(withSecret(3), ctx())).changes, [], 'its own claims verify');
    // Without the secret, the forged claim would have made the foreign SRV srvctl's to delete.
    fake.records = fake.records.filter((r) => r.id === forged.id);
    const unsigned = await planInProcess(manifest(3), time.ctx());
    assert.ok(unsigned.changes.some((c) => c.action === 'delete' && c.before?.rdata === '0 0 2380 other.example.net.'));
  });

  it('a host two clusters list keeps its address; the second owner claims it with a TXT marker (the comment is taken)', async () => {
    const shared = (cluster: string, on: boolean) =>
      manifestFrom(
        `/nonexistent/${cluster}.yaml`,
        `version: 1\ncluster: ${cluster}\ndomain: ${cluster}.example.com\netcd: { version: "3.5" }\nprovider: { type: cloudflare, zone: example.com, baseUrl: "${fake.baseUrl}" }\nmembers:\n  - { name: own, host: own.${cluster}.example.com, ipv4: 10.0.${cluster === 'x' ? 1 : 2}.1 }\n${on ? '  - { name: s, host: shared.example.com, ipv4: 10.0.0.5 }\n' : ''}`,
      );
    await syncInProcess(shared('x', true), time.ctx());
    await syncInProcess(shared('y', true), time.ctx());
    assert.deepEqual((await planInProcess(shared('y', true), time.ctx())).changes, []);
    assert.deepEqual((await planInProcess(shared('x', true), time.ctx())).changes, []);
    await syncInProcess(shared('x', false), time.ctx());
    assert.ok(fake.records.some((r) => r.name === 'shared.example.com' && r.type === 'A'), 'y still wants it');
    // The comment is free again: y's next sync moves its claim there from the TXT marker.
    await syncInProcess(shared('y', true), time.ctx());
    assert.equal(fake.records.find((r) => r.name === 'shared.example.com' && r.type === 'A')?.comment, 'srvctl:y');
    assert.ok(!fake.records.some((r) => r.type === 'TXT'));
    assert.deepEqual((await planInProcess(shared('y', true), time.ctx())).changes, [], 'y is in sync');
    await syncInProcess(shared('y', false), time.ctx());
    assert.ok(!fake.records.some((r) => r.name === 'shared.example.com'), 'gone once nobody wants it');
  });
});
