import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openProvider } from '../../providers/index.js';
import { requireManifest } from '../../src/manifest/load.js';
import { diff } from '../../src/plan/diff.js';
import { readManaged } from '../../src/plan/gather.js';
import type { Plan } from '../../src/plan/plan.js';
import { desiredRecords } from '../../src/records/desired.js';
import { rec } from '../../src/records/record.js';
import { dig } from '../support/dig.js';
import { PowerDns } from '../support/pdns.js';
import { cliInProcess } from '../commands/inprocess.js';
import { scratch } from '../support/run.js';

function manifestText(pdns: PowerDns, extra = ''): string {
  return `version: 1
cluster: prod-etcd
domain: coreos.example.com
provider:
  type: powerdns
  zone: example.com
  url: ${pdns.url}
  apiKeyEnv: PDNS_TEST_KEY
${extra}members:
  - { name: node1, host: node1.coreos.example.com, ipv4: 10.0.0.1 }
  - { name: node2, host: node2.coreos.example.com, ipv4: 10.0.0.2 }
  - { name: node3, host: node3.coreos.example.com, ipv4: 10.0.0.3, ipv6: "2001:db8::3" }
verify: { nameservers: ["127.0.0.1:${pdns.dnsPort}"], wait: 10s, timeout: 500ms }
`;
}

describe('powerdns provider against a real PowerDNS (gsqlite3, API)', function () {
  this.timeout(60_000);
  let pdns: PowerDns;
  let manifest: string;
  let cleanup: () => Promise<void>;
  const env = () => ({ PDNS_TEST_KEY: pdns.apiKey });

  beforeEach(async () => {
    pdns = new PowerDns();
    await pdns.start('example.com', [{ name: 'ns1.example.com', type: 'A', ttl: 3600, content: ['127.0.0.1'] }]);
    const s = await scratch();
    cleanup = s.cleanup;
    manifest = join(s.dir, 'cluster.yaml');
    writeFileSync(manifest, manifestText(pdns));
  });
  afterEach(async () => {
    await pdns.dispose();
    await cleanup();
  });

  it('sync creates the records in one PATCH, dig sees them with aa, a second sync changes nothing', async () => {
    const r = await cliInProcess(['sync', manifest, '--yes', '--verbose'], { env: env() });
    assert.equal(r.code, 0, r.stderr + pdns.log());
    assert.match(r.stderr, /sent one PATCH with \d+ RRset\(s\)/);
    const d = await dig('127.0.0.1', pdns.dnsPort, '_etcd-server._tcp.coreos.example.com', 'SRV');
    assert.ok(d.flags.includes('aa'));
    assert.equal(d.answers.length, 3);
    assert.deepEqual((await dig('127.0.0.1', pdns.dnsPort, 'node3.coreos.example.com', 'AAAA')).answers.map((a) => a.rdata), ['2001:db8::3']);
    const again = await cliInProcess(['sync', manifest, '--yes', '--verbose'], { env: env() });
    assert.equal(again.code, 0);
    assert.match(again.stderr, /No changes\./);
    assert.doesNotMatch(again.stderr, /PATCH/);
    for (const o of [r.stdout, r.stderr, again.stdout, again.stderr]) assert.ok(!o.includes(pdns.apiKey), 'the API key appeared in the output');
  });

  it('foreign TXT and SRV records inside managed RRsets survive every sync, including a shrink', async () => {
    await pdns.patch('example.com', [
      { name: '_etcd-server._tcp.coreos.example.com', type: 'TXT', ttl: 300, content: ['"hand-written note"'] },
      { name: '_etcd-client._tcp.coreos.example.com', type: 'SRV', ttl: 300, content: ['0 0 2379 extra.coreos.example.com.'] },
    ]);
    for (let i = 0; i < 2; i++) assert.equal((await cliInProcess(['sync', manifest, '--yes'], { env: env() })).code, 0);
    writeFileSync(manifest, manifestText(pdns).replace(/  - \{ name: node3.*\n/, ''));
    const shrink = await cliInProcess(['sync', manifest, '--yes'], { env: env() });
    assert.equal(shrink.code, 0, shrink.stderr);
    const txt = await dig('127.0.0.1', pdns.dnsPort, '_etcd-server._tcp.coreos.example.com', 'TXT');
    assert.ok(txt.answers.some((a) => a.rdata === '"hand-written note"'));
    const client = await dig('127.0.0.1', pdns.dnsPort, '_etcd-client._tcp.coreos.example.com', 'SRV');
    assert.deepEqual(client.answers.map((a) => a.rdata).sort(), ['0 0 2379 extra.coreos.example.com.', '0 0 2379 node1.coreos.example.com.', '0 0 2379 node2.coreos.example.com.']);
    assert.equal((await dig('127.0.0.1', pdns.dnsPort, 'node3.coreos.example.com', 'A')).answers.length, 0);
  });

  it('disabled foreign records in RRsets srvctl rewrites: listed by plan --json as not served, byte-identical and still disabled after sync', async () => {
    const SRV = '_etcd-server._tcp.coreos.example.com';
    const HOST = 'node1.coreos.example.com';
    type ApiRRset = { name: string; type: string; ttl: number; records: { content: string; disabled: boolean }[] };
    const held = async (name: string, type: string) => {
      const zone = (await (await pdns.api('GET', '/api/v1/servers/localhost/zones/example.com.')).json()) as { rrsets: ApiRRset[] };
      return zone.rrsets.find((s) => s.name === `${name}.` && s.type === type)?.records.filter((r) => r.disabled) ?? [];
    };
    const res = await pdns.api('PATCH', '/api/v1/servers/localhost/zones/example.com.', {
      rrsets: [
        { name: `${SRV}.`, type: 'SRV', ttl: 300, changetype: 'REPLACE', records: [{ content: '0 0 2380 spare.example.net.', disabled: true }] },
        { name: `${HOST}.`, type: 'A', ttl: 300, changetype: 'REPLACE', records: [{ content: '10.9.9.9', disabled: true }] },
        { name: `${HOST}.`, type: 'TXT', ttl: 300, changetype: 'REPLACE', records: [{ content: '"caf\\195\\169 off"', disabled: true }] },
      ],
    });
    assert.equal(res.status, 204, await res.text());
    const before = { srv: await held(SRV, 'SRV'), a: await held(HOST, 'A'), txt: await held(HOST, 'TXT') };

    const planned = await cliInProcess(['plan', manifest, '--json'], { env: env() });
    assert.equal(planned.code, 2, planned.stderr);
    const doc = JSON.parse(planned.stdout) as { plan: { notServed: { record: { name: string; type: string; rdata: string }; reason: string; inRewrittenRRset: boolean }[]; summary: { notServed: number } } };
    const listed = doc.plan.notServed.map((h) => `${h.record.name} ${h.record.type} ${h.record.rdata} ${h.inRewrittenRRset}`).sort();
    assert.deepEqual(listed, [`${HOST} A 10.9.9.9 true`, `${HOST} TXT "caf\\195\\169 off" true`, `${SRV} SRV 0 0 2380 spare.example.net. true`].sort());
    assert.ok(doc.plan.notServed.every((h) => /disabled at PowerDNS/.test(h.reason)));
    assert.equal(doc.plan.summary.notServed, 3);
    // The text plan shows them too, beside the changes that rewrite their RRsets.
    const text = await cliInProcess(['plan', manifest], { env: env() });
    assert.match(text.stdout, /· _etcd-server\._tcp\.coreos\.example\.com\.? .*SRV 0 0 2380 spare\.example\.net\. .*disabled at PowerDNS.*kept as it is, in an RRset this plan rewrites/);

    const r = await cliInProcess(['sync', manifest, '--yes', '--verbose'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /kept 3 disabled foreign record\(s\)/);
    // In the API: the same content strings, still disabled.
    assert.deepEqual({ srv: await held(SRV, 'SRV'), a: await held(HOST, 'A'), txt: await held(HOST, 'TXT') }, before);
    // On the wire: not served, srvctl's records are.
    assert.deepEqual((await dig('127.0.0.1', pdns.dnsPort, SRV, 'SRV')).answers.map((a) => a.rdata.split(' ')[3]).sort(), ['node1.coreos.example.com.', 'node2.coreos.example.com.', 'node3.coreos.example.com.']);
    assert.deepEqual((await dig('127.0.0.1', pdns.dnsPort, HOST, 'A')).answers.map((a) => a.rdata), ['10.0.0.1']);
    assert.ok(!(await dig('127.0.0.1', pdns.dnsPort, HOST, 'TXT')).raw.includes('off"'));
    // In sync now; the plan still lists them, in no rewritten RRset.
    const again = await cliInProcess(['plan', manifest, '--json'], { env: env() });
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout) as typeof doc;
    assert.equal(second.plan.notServed.length, 3);
    assert.ok(second.plan.notServed.every((h) => !h.inRewrittenRRset));
  });

  it('nameservers(): in-zone NS hosts from the zone, out-of-zone ones only through the injected lookup', async () => {
    await pdns.patch('example.com', [{ name: 'example.com', type: 'NS', ttl: 3600, content: ['ns1.example.com.', 'ns.other.test.'] }]);
    const m = requireManifest(manifest, manifestText(pdns)).manifest;
    const asked: string[] = [];
    const lookupHost = async (host: string) => (asked.push(host), host === 'ns.other.test' ? ['127.0.0.9'] : []);
    const withLookup = await openProvider(m, { env: env(), debug: () => undefined, now: () => new Date(), lookupHost });
    assert.deepEqual((await withLookup.nameservers()).map((n) => `${n.name} ${n.host}`).sort(), ['ns.other.test 127.0.0.9', 'ns1.example.com 127.0.0.1']);
    assert.deepEqual(asked, ['ns.other.test']);
    const debug: string[] = [];
    const without = await openProvider(m, { env: env(), debug: (d) => void debug.push(d), now: () => new Date() });
    assert.deepEqual((await without.nameservers()).map((n) => n.name), ['ns1.example.com']);
    assert.ok(debug.some((d) => /ns\.other\.test is outside the zone and no resolver was given/.test(d)));
  });

  it('one of srvctl\'s records disabled by hand: the plan says it enables it, the sync serves it (no duplicate for PowerDNS to refuse)', async () => {
    assert.equal((await cliInProcess(['sync', manifest, '--yes'], { env: env() })).code, 0);
    type ApiRRset = { name: string; type: string; ttl: number; records: { content: string; disabled: boolean }[] };
    const aSet = async () => ((await (await pdns.api('GET', '/api/v1/servers/localhost/zones/example.com.')).json()) as { rrsets: ApiRRset[] }).rrsets.find((x) => x.name === 'node1.coreos.example.com.' && x.type === 'A')!;
    const a = await aSet();
    const res = await pdns.api('PATCH', '/api/v1/servers/localhost/zones/example.com.', { rrsets: [{ name: a.name, type: 'A', ttl: a.ttl, changetype: 'REPLACE', records: a.records.map((r) => ({ ...r, disabled: true })) }] });
    assert.equal(res.status, 204, await res.text());
    assert.deepEqual((await dig('127.0.0.1', pdns.dnsPort, 'node1.coreos.example.com', 'A')).answers, []);

    const planned = await cliInProcess(['plan', manifest, '--json'], { env: env() });
    const doc = JSON.parse(planned.stdout) as { plan: { notServed: { record: { rdata: string }; servedByPlan: boolean }[]; changes: { action: string; after: { name: string; rdata: string } | null }[] } };
    assert.deepEqual(doc.plan.notServed.map((h) => `${h.record.rdata} ${h.servedByPlan}`), ['10.0.0.1 true']);
    assert.ok(doc.plan.changes.some((c) => c.action === 'create' && c.after?.name === 'node1.coreos.example.com' && c.after.rdata === '10.0.0.1'));

    const r = await cliInProcess(['sync', manifest, '--yes', '--verbose'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /enabled 1 record\(s\) that were disabled at PowerDNS/);
    assert.match(r.stderr, /· node1\.coreos\.example\.com\. 300 IN A 10\.0\.0\.1 .*this plan enables it/);
    assert.deepEqual((await aSet()).records, [{ content: '10.0.0.1', disabled: false }]);
    assert.deepEqual((await dig('127.0.0.1', pdns.dnsPort, 'node1.coreos.example.com', 'A')).answers.map((x) => x.rdata), ['10.0.0.1']);
    assert.equal((await cliInProcess(['plan', manifest], { env: env() })).code, 0);
  });

  it('a change between plan and apply stops the apply; the next sync converges', async () => {
    const m = requireManifest(manifest, manifestText(pdns)).manifest;
    const provider = await openProvider(m, { env: env(), debug: () => undefined, now: () => new Date() });
    const { actual } = await readManaged(m, (n) => provider.read(n));
    const plan = diff(desiredRecords(m), actual, m.cluster, m.provider.zone);
    await pdns.patch('example.com', [{ name: '_etcd-server._tcp.coreos.example.com', type: 'SRV', ttl: 300, content: ['0 0 2380 sneaky.coreos.example.com.'] }]);
    await assert.rejects(provider.apply(plan), /_etcd-server\._tcp\.coreos\.example\.com SRV changed at PowerDNS since the plan; nothing was changed/);
    const r = await cliInProcess(['sync', manifest, '--yes', '--force'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await dig('127.0.0.1', pdns.dnsPort, '_etcd-server._tcp.coreos.example.com', 'SRV')).answers.length, 4);
  });

  it('401, 404 and 422 become clear messages; a stopped server too; exit 1 and no key shown', async () => {
    const wrong = await cliInProcess(['sync', manifest, '--yes'], { env: { PDNS_TEST_KEY: 'not-the-key' } });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /rejected the API key from PDNS_TEST_KEY \(401\)/);
    writeFileSync(manifest, manifestText(pdns).replace('  zone: example.com', '  zone: example.com\n  serverId: nope'));
    const missing = await cliInProcess(['plan', manifest], { env: env() });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /PowerDNS server "nope" at .* has no zone example\.com\. \(404/);

    const m = requireManifest(manifest, manifestText(pdns)).manifest;
    const provider = await openProvider(m, { env: env(), debug: () => undefined, now: () => new Date() });
    await provider.read(['bad.coreos.example.com']);
    const bad: Plan = { owner: 'prod-etcd', zone: 'example.com', conflicts: [], unchanged: [], changes: [{ action: 'create', marker: false, after: rec('bad.coreos.example.com', 'MX', 300, 'not an mx') }] };
    await assert.rejects(provider.apply(bad), /PowerDNS refused the change \(422\): Record bad\.coreos\.example\.com\.\/MX 'not an mx'/);

    await pdns.stop();
    writeFileSync(manifest, manifestText(pdns));
    const down = await cliInProcess(['plan', manifest], { env: env() });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /connection refused \(is pdns_server running with api=yes\?\)/);
    for (const o of [wrong.stdout, wrong.stderr, missing.stderr, down.stderr]) {
      assert.ok(!o.includes(pdns.apiKey));
      assert.doesNotMatch(o, /\n\s+at .+:\d+:\d+/);
    }
    const unset = await cliInProcess(['plan', manifest]);
    assert.match(unset.stderr, /environment variable PDNS_TEST_KEY \(provider\.apiKeyEnv\) is not set/);
  });
});
