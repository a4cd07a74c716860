import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openProvider } from '../../providers/index.js';
import { query, type Server } from '../../src/dns/transport.js';
import { requireManifest } from '../../src/manifest/load.js';
import { readManaged } from '../../src/plan/gather.js';
import { parseSavedPlan, savePlan, type SavedPlan } from '../../src/plan/saved.js';
import { reconcile } from '../../src/reconcile/pipeline.js';
import type { ReconcileDeps, ReconcileRequest } from '../../src/reconcile/types.js';
import { desiredRecords } from '../../src/records/desired.js';
import { parseSrvRdata, recordText, sortRecords, type Rec } from '../../src/records/record.js';
import { Bind, newKey, nsupdate, type BindKey } from '../support/bind.js';
import { FakeCloudflare } from '../support/cloudflare/fake.js';
import { PowerDns } from '../support/pdns.js';
import { freePort } from '../support/ports.js';
import { scratch } from '../support/run.js';

/**
 * The DNS half of the lifecycle on every provider, in-process through the reconcile core
 * against the real servers (BIND over RFC 2136, PowerDNS's API, the contract-checked
 * Cloudflare fake): hand-made records adopted without a gap (a resolver loop asks the
 * server throughout), a saved plan refused after a foreign change and applied when nothing
 * changed, destroy leaving only foreign records, and destroy of nothing refused.
 */
const MEMBERS = `members:
  - { name: node1, host: node1.coreos.example.com, ipv4: 10.0.0.1 }
  - { name: node2, host: node2.coreos.example.com, ipv4: 10.0.0.2 }
  - { name: node3, host: node3.coreos.example.com, ipv4: 10.0.0.3 }
`;
const SERVER_SRV = '_etcd-server._tcp.coreos.example.com';

interface Target {
  name: string;
  start(): Promise<void>;
  manifest(): string;
  env(): Record<string, string>;
  dns(): Server;
  /** writes records behind srvctl's back, as another operator or tool would */
  seed(records: readonly Rec[]): Promise<void>;
  stop(): Promise<void>;
}

function bindTarget(): Target {
  let bind: Bind;
  let key: BindKey;
  let port = 0;
  return {
    name: 'rfc2136 (BIND)',
    async start() {
      key = newKey('srvctl');
      port = await freePort();
      bind = new Bind({ zone: 'example.com', zoneText: '$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 604800 300\n@ IN NS ns1\nns1 IN A 127.0.0.1\n', port, keys: [key] });
      await bind.start();
    },
    manifest: () => `provider: { type: rfc2136, zone: example.com, server: 127.0.0.1, port: ${port}, tsig: { name: srvctl, secretEnv: SRVCTL_TSIG } }\nverify: { nameservers: ["127.0.0.1:${port}"], wait: 10s, timeout: 500ms }\n`,
    env: () => ({ SRVCTL_TSIG: key.secret }),
    dns: () => ({ host: '127.0.0.1', port }),
    seed: (records) => nsupdate(port, key, records.map((r) => `update add ${r.name}. ${r.ttl} ${r.type} ${r.rdata}`)),
    stop: async () => bind?.dispose(),
  };
}

function pdnsTarget(): Target {
  let pdns: PowerDns;
  return {
    name: 'powerdns',
    async start() {
      pdns = new PowerDns();
      await pdns.start('example.com', [{ name: 'ns1.example.com', type: 'A', ttl: 3600, content: ['127.0.0.1'] }]);
    },
    manifest: () => `provider: { type: powerdns, zone: example.com, url: "${pdns.url}", apiKeyEnv: PDNS_TEST_KEY }\nverify: { nameservers: ["127.0.0.1:${pdns.dnsPort}"], wait: 10s, timeout: 500ms }\n`,
    env: () => ({ PDNS_TEST_KEY: pdns.apiKey }),
    dns: () => ({ host: '127.0.0.1', port: pdns.dnsPort }),
    // REPLACE per RRset: seed whole RRsets, with what the server already holds there
    async seed(records) {
      const sets = new Map<string, Rec[]>();
      for (const r of records) sets.set(`${r.name}\t${r.type}`, [...(sets.get(`${r.name}\t${r.type}`) ?? []), r]);
      const res = await fetch(`${pdns.url}/api/v1/servers/localhost/zones/example.com.`, { headers: { 'X-API-Key': pdns.apiKey } });
      const zone = (await res.json()) as { rrsets: { name: string; type: string; records: { content: string }[] }[] };
      await pdns.patch(
        'example.com',
        [...sets.values()].map((rs) => {
          const held = zone.rrsets.find((x) => x.name === `${rs[0]!.name}.` && x.type === rs[0]!.type)?.records.map((x) => x.content) ?? [];
          return { name: rs[0]!.name, type: rs[0]!.type, ttl: rs[0]!.ttl, content: [...held, ...rs.map((r) => r.rdata)] };
        }),
      );
    },
    stop: async () => pdns?.dispose(),
  };
}

function cloudflareTarget(): Target {
  let fake: FakeCloudflare;
  let zoneId = '';
  let dnsPort = 0;
  return {
    name: 'cloudflare (fake)',
    async start() {
      fake = new FakeCloudflare();
      await fake.start();
      zoneId = fake.addZone('example.com');
      fake.tokens.set('cf-lifecycle-token', 'edit');
      dnsPort = await fake.serveDns('example.com');
    },
    manifest: () => `provider: { type: cloudflare, zone: example.com, baseUrl: "${fake.baseUrl}" }\nverify: { nameservers: ["127.0.0.1:${dnsPort}"], wait: 5s, timeout: 500ms }\n`,
    env: () => ({ CLOUDFLARE_API_TOKEN: 'cf-lifecycle-token' }),
    dns: () => ({ host: '127.0.0.1', port: dnsPort }),
    async seed(records) {
      for (const r of records) {
        const srv = r.type === 'SRV' ? parseSrvRdata(r.rdata)! : undefined;
        fake.seed(zoneId, { name: r.name, type: r.type, ttl: r.ttl, ...(srv ? { data: srv } : { content: r.type === 'TXT' ? r.rdata.replace(/^"|"$/g, '') : r.rdata }) });
      }
      // the fake republishes its DNS view on API writes only; a dashboard edit shows at once on Cloudflare's nameservers
      (fake as unknown as { refreshDns(zone: string): void }).refreshDns('example.com');
    },
    async stop() {
      assert.deepEqual(fake?.violations ?? [], [], 'every request and response matches the official schema');
      await fake?.stop();
    },
  };
}

for (const make of [bindTarget, pdnsTarget, cloudflareTarget]) {
  const target = make();
  describe(`lifecycle DNS steps on ${target.name} (in-process, real server)`, function () {
    this.timeout(90_000);
    let dir: string;
    let cleanup: () => Promise<void>;
    let file: string;
    const deps = (): ReconcileDeps => ({
      readText: (f) => readFile(f, 'utf8'),
      openProvider: (m) => openProvider(m, { env: target.env(), debug: () => {}, now: () => new Date() }),
      query: (server, name, type, opts) => query(server, name, type, opts),
      lookupHost: async () => [],
      etcdClient: () => {
        throw new Error('no etcd in these tests');
      },
      now: () => new Date(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      confirm: async () => false,
    });
    const run = (req: Omit<ReconcileRequest, 'file'>) => reconcile({ file, yes: true, ...req }, deps());
    let manifestText = '';
    const manifest = () => requireManifest(file, manifestText).manifest;
    /** everything the provider holds at the managed names, as text */
    const state = async () => {
      const p = await openProvider(manifest(), { env: target.env(), debug: () => {}, now: () => new Date() });
      try {
        return sortRecords((await readManaged(manifest(), (n) => p.read(n))).actual).map(recordText);
      } finally {
        await p.close?.();
      }
    };

    before(async () => {
      await target.start();
      ({ dir, cleanup } = await scratch());
      file = join(dir, 'cluster.yaml');
      manifestText = `version: 1\ncluster: prod-etcd\ndomain: coreos.example.com\netcd: { version: "3.5" }\n${target.manifest()}${MEMBERS}`;
      await writeFile(file, manifestText);
    });
    after(async () => {
      await target.stop();
      await cleanup?.();
    });

    it('adopts hand-made records with no gap, refuses a saved plan after a foreign change, applies an unchanged one, then destroys only what it owns', async () => {
      const desired = desiredRecords(manifest());
      await target.seed(desired);

      const stalePlan = await run({ mode: 'plan', adopt: true });
      assert.equal(stalePlan.outcome, 'pending', JSON.stringify(stalePlan.error));
      assert.equal(stalePlan.plan!.changes.filter((c) => c.action === 'adopt').length, desired.length);
      const stale: SavedPlan = parseSavedPlan('p.json', JSON.stringify(savePlan({ kind: 'sync', manifest: stalePlan.manifest!, provider: stalePlan.provider!.type, names: stalePlan.readNames!, actual: stalePlan.actual!, plan: stalePlan.plan!, options: { adopt: true }, now: new Date() })));

      // someone else writes at a managed name between plan and sync
      await target.seed([{ name: SERVER_SRV, type: 'TXT', ttl: 300, rdata: '"hand-written note"' }]);
      const before = await state();
      const refused = await run({ mode: 'sync', savedPlan: stale });
      assert.equal(refused.outcome, 'refused');
      assert.match(refused.error!.details.join('\n'), /\+ _etcd-server\._tcp\.coreos\.example\.com\. 300 IN TXT "hand-written note"/);
      assert.deepEqual(refused.writes, []);
      assert.deepEqual(await state(), before, 'nothing written');

      // a fresh plan, unchanged at sync time: applied, while a resolver loop sees the full SRV set throughout
      const p = await run({ mode: 'plan', adopt: true });
      const fresh = parseSavedPlan('p.json', JSON.stringify(savePlan({ kind: 'sync', manifest: p.manifest!, provider: p.provider!.type, names: p.readNames!, actual: p.actual!, plan: p.plan!, options: { adopt: true }, now: new Date() })));
      let syncing = true;
      const seen: number[] = [];
      const loop = (async () => {
        while (syncing) {
          const a = await query(target.dns(), SERVER_SRV, 'SRV', { timeoutMs: 500, retries: 1 });
          seen.push(a.answers.filter((r) => r.type === 'SRV').length);
        }
      })();
      const synced = await run({ mode: 'sync', savedPlan: fresh, adopt: true });
      syncing = false;
      await loop;
      assert.equal(synced.outcome, 'applied', JSON.stringify(synced.error));
      assert.ok(synced.verify?.ok, 'every nameserver answers the adopted set');
      assert.ok(seen.length > 0);
      assert.deepEqual([...new Set(seen)], [3], `the SRV set had a gap: answer sizes ${seen.join(',')}`);
      assert.equal((await run({ mode: 'plan' })).outcome, 'in-sync');

      const destroyed = await run({ mode: 'destroy' });
      assert.equal(destroyed.outcome, 'applied', JSON.stringify(destroyed.error));
      assert.ok(destroyed.verify?.ok, 'every nameserver stopped answering the destroyed records');
      assert.deepEqual(await state(), ['_etcd-server._tcp.coreos.example.com. 300 IN TXT "hand-written note"']);
      const again = await run({ mode: 'destroy' });
      assert.equal(again.outcome, 'refused');
      assert.match(again.error!.details[0]!, /^nothing to destroy/);
    });
  });
}
