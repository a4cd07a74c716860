import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeCloudflare, type Injection } from '../support/cloudflare/fake.js';
import { plan as planCommand } from '../../src/commands/plan.js';
import { sync as syncCommand } from '../../src/commands/sync.js';
import { cliInProcess, inProcess } from '../commands/inprocess.js';
import { CLI, FIXTURES, ROOT, run, scratch } from '../support/run.js';

const TOKEN = 'cf-test-token-4b1d9e0c7a';
const READONLY = 'cf-readonly-token-77e1';

function manifestText(fake: FakeCloudflare, dnsPort: number, members: number, extra = ''): string {
  const list = Array.from({ length: members }, (_, i) => `  - { name: node${i + 1}, host: node${i + 1}.coreos.example.com, ipv4: 10.0.${Math.floor((i + 1) / 250)}.${((i + 1) % 250) + 1} }`).join('\n');
  return `version: 1
cluster: prod-etcd
domain: coreos.example.com
provider: { type: cloudflare, zone: example.com, baseUrl: "${fake.baseUrl}"${extra} }
members:
${list}
verify: { nameservers: ["127.0.0.1:${dnsPort}"], wait: 5s, timeout: 500ms }
`;
}

describe('cloudflare provider against a contract-checked fake Cloudflare', function () {
  this.timeout(120_000);
  let fake: FakeCloudflare;
  let zoneId: string;
  let dnsPort: number;
  let manifest: string;
  let cleanup: () => Promise<void>;
  // A generous client timeout: under a parallel suite a 1,500-record batch can take seconds;
  // the fault loop sets a short one where it injects timeouts.
  const env = (token = TOKEN) => ({ CLOUDFLARE_API_TOKEN: token, SRVCTL_HTTP_TIMEOUT_MS: '15000' });
  const sync = (...more: string[]) => cliInProcess(['sync', manifest, '--yes', ...more], { env: env() });
  const noToken = (...outputs: string[]) => outputs.forEach((o) => assert.ok(!o.includes(TOKEN) && !o.includes(READONLY), 'a token appeared in the output'));
  const foreign = () => [
    fake.seed(zoneId, { name: 'www.example.com', type: 'A', content: '192.0.2.80', proxied: true }),
    fake.seed(zoneId, { name: '_etcd-server._tcp.coreos.example.com', type: 'TXT', content: '"hand-written note"' }),
    fake.seed(zoneId, { name: '_etcd-client._tcp.coreos.example.com', type: 'SRV', data: { priority: 0, weight: 0, port: 2379, target: 'extra.coreos.example.com' } }),
  ];

  beforeEach(async () => {
    fake = new FakeCloudflare();
    await fake.start();
    zoneId = fake.addZone('example.com');
    fake.tokens.set(TOKEN, 'edit');
    fake.tokens.set(READONLY, 'read');
    dnsPort = await fake.serveDns('example.com');
    const s = await scratch();
    cleanup = s.cleanup;
    manifest = join(s.dir, 'cluster.yaml');
    writeFileSync(manifest, manifestText(fake, dnsPort, 3));
  });
  afterEach(async () => {
    assert.deepEqual(fake.violations, [], 'every request and response matches the official schema');
    await fake.stop();
    await cleanup();
  });

  it('sync writes SRV as data and A records DNS-only with an owner comment; the second sync sends no write', async () => {
    const kept = foreign();
    const r = await sync();
    assert.equal(r.code, 0, r.stderr);
    // the second listing reads the in-zone target of the foreign SRV record (the planned prediction needs its address); the token verify is the preflight; the last listing is the re-read just before the batch
    assert.deepEqual(fake.requests.map((q) => `${q.method} ${q.path.replace(zoneId, 'Z')}`), ['GET /zones', 'GET /zones/Z/dns_records', 'GET /zones/Z/dns_records', 'GET /user/tokens/verify', 'GET /zones/Z/dns_records', 'POST /zones/Z/dns_records/batch']);
    const batch = fake.requests.find((q) => q.method === 'POST')!.body;
    const srv = batch.posts.find((p: { type: string }) => p.type === 'SRV');
    assert.deepEqual(Object.keys(srv.data).sort(), ['port', 'priority', 'target', 'weight']);
    assert.equal(srv.proxied, undefined, 'SRV is never sent with proxied');
    assert.equal(srv.content, undefined, 'SRV content is read-only');
    assert.ok(batch.posts.filter((p: { type: string }) => p.type === 'A').every((p: { proxied: boolean }) => p.proxied === false));
    assert.ok(batch.posts.every((p: { comment: string }) => p.comment === 'srvctl:prod-etcd'), 'ownership in the comment');
    assert.ok(!batch.posts.some((p: { type: string }) => p.type === 'TXT'), 'no TXT markers on Cloudflare');
    const before = fake.writes();
    const again = await sync();
    assert.equal(again.code, 0);
    assert.match(again.stderr, /No changes\./);
    assert.equal(fake.writes(), before, 'no write on the second sync');
    for (const k of kept) assert.ok(fake.records.some((x) => x.id === k.id), `foreign ${k.name} ${k.type} survived`);
    noToken(r.stdout, r.stderr, again.stdout, again.stderr);
  });

  it('a member removed deletes only its own records; foreign ones at the same names stay', async () => {
    const kept = foreign();
    assert.equal((await sync()).code, 0);
    writeFileSync(manifest, manifestText(fake, dnsPort, 2));
    const r = await sync();
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fake.records.some((x) => x.name === 'node3.coreos.example.com' && x.type === 'A'));
    for (const k of kept) assert.ok(fake.records.some((x) => x.id === k.id));
  });

  for (const [members, batchSize, expected] of [
    // zone lookup, one listing, the token verify (preflight), the re-read before each batch, the batches
    [3, undefined, 5],
    [70, undefined, 7],
    [50, 3500, 5],
    [500, 3500, 5],
  ] as const) {
    it(`${members} members${batchSize ? ` with batches of ${batchSize}` : ''}: ${expected} requests, whatever the record count`, async () => {
      writeFileSync(manifest, manifestText(fake, dnsPort, members, batchSize ? `, batchSize: ${batchSize}` : ''));
      const r = await cliInProcess(['sync', manifest, '--yes', '--no-verify', '--format', 'env', '--member', 'node1'], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(fake.requests.length, expected);
      assert.equal(fake.records.length, members * 3, 'SRV server, SRV client and A per member: no TXT markers');
      const again = await cliInProcess(['plan', manifest], { env: env() });
      assert.equal(again.code, 0, again.stdout);
    });
  }

  const faults: Injection['fault'][] = ['429', '500', 'drop', 'timeout'];
  for (const fault of faults) {
    for (const afterApply of fault === '500' ? [false, true] : [false]) {
      it(`a ${fault}${afterApply ? ' after the write took effect' : ''} at every request position converges on rerun and never deletes a foreign record`, async () => {
        writeFileSync(manifest, manifestText(fake, dnsPort, 12, ', batchSize: 20'));
        const kept = foreign();
        // zone lookup, the listing, the listing of the foreign SRV target, the token verify (preflight), then a re-read and a batch per batch
        const reads = 4;
        const positions = reads + 2 * Math.ceil((12 * 3) / 20);
        for (let at = 1; at <= positions; at++) {
          fake.records = fake.records.filter((x) => kept.some((k) => k.id === x.id));
          fake.requests.length = 0;
          fake.injections = [{ at, fault, afterApply, retryAfter: 1 }];
          // In-process: this loop is ~90 runs; each spawned one re-imported the SDK. An
          // injected timeout costs the whole client timeout, so that loop shortens it.
          const faultEnv = fault === 'timeout' ? { ...env(), SRVCTL_HTTP_TIMEOUT_MS: '1000' } : env();
          // The provider's waits (Retry-After, read back-off) go through the injected sleep:
          // recorded, not slept, so the loop proves what srvctl waits without waiting it.
          const waited: number[] = [];
          const sleep = async (ms: number) => void waited.push(ms);
          const syncOnce = () => inProcess(faultEnv, (ctx) => syncCommand(ctx, manifest, { yes: true, verify: false, member: 'node1' }), false, false, sleep);
          const r = await syncOnce();
          assert.ok(r.code === 0 || r.code === 1, r.stderr);
          assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
          if (r.code === 1) assert.match(r.stderr, /srvctl: (Cloudflare|batch|listing|looking up)/);
          if (r.code === 1 && at > reads) assert.match(r.stderr, /(run srvctl sync again|Run srvctl sync again|nothing was changed)/i);
          if (fault === '429') assert.ok(waited.includes(1000), `position ${at}: the 429's Retry-After (1 s) was waited (waits: ${waited.join(', ')})`);
          fake.injections = [];
          const rerun = await syncOnce();
          assert.equal(rerun.code, 0, `position ${at}: ${rerun.stderr}`);
          assert.equal((await inProcess(faultEnv, (ctx) => planCommand(ctx, manifest))).code, 0, `position ${at}: not converged`);
          for (const k of kept) assert.ok(fake.records.some((x) => x.id === k.id), `position ${at}: foreign ${k.name} ${k.type} was deleted`);
          noToken(r.stdout, r.stderr);
        }
      });
    }
  }

  it('429 is retried after Retry-After within a bound; past the bound it fails naming the limit', async () => {
    fake.injections = [{ when: (m) => m === 'GET', fault: '429', retryAfter: 1, times: 1 }];
    assert.equal((await sync('--no-verify')).code, 0);
    fake.injections = [{ when: () => true, fault: '429', retryAfter: 120, times: 1 }];
    writeFileSync(manifest, manifestText(fake, dnsPort, 3, ', maxRateWait: 60s'));
    const r = await sync('--no-verify');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cloudflare rate limit reached \(1,200 requests per 5 minutes per user; it asked to retry after 120 s\)/);
  });

  it('a wrong token and a token without DNS:Edit give their messages, exit 1, and never show the token', async () => {
    const wrong = await cliInProcess(['sync', manifest, '--yes'], { env: env('not-a-token') });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Cloudflare refused looking up zone example\.com \(10000 Authentication error\): the token needs Zone:Read and DNS:Edit/);
    const ro = await cliInProcess(['sync', manifest, '--yes', '--verbose', '--json'], { env: env(READONLY) });
    assert.equal(ro.code, 1);
    assert.match(ro.stderr, /Cloudflare refused batch 1 of 1 \(18 changes\) \(10000 Authentication error\)/);
    assert.equal(JSON.parse(ro.stdout).error.code, 'provider');
    noToken(wrong.stdout, wrong.stderr, ro.stdout, ro.stderr);
  });

  it('refuses to start without a token, before any request', async () => {
    const r = await cliInProcess(['plan', manifest], { env: { CLOUDFLARE_API_TOKEN: '' } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /environment variable CLOUDFLARE_API_TOKEN \(provider\.tokenEnv\) is not set/);
    assert.equal(fake.requests.length, 0);
  });

  it('a proxied A record at a member host is an error: peers would reach Cloudflare\'s edge', async () => {
    fake.seed(zoneId, { name: 'node2.coreos.example.com', type: 'A', content: '10.0.0.3', proxied: true });
    const r = await sync();
    assert.equal(r.code, 1);
    assert.match(r.stderr, /proxied address record\(s\) at managed hosts: node2\.coreos\.example\.com A 10\.0\.0\.3/);
    assert.equal(fake.writes(), 0);
  });

  it('a TTL under 60 is clamped with a warning, and 1 (automatic) is kept', async () => {
    writeFileSync(manifest, manifestText(fake, dnsPort, 3).replace('domain: coreos.example.com', 'domain: coreos.example.com\nttl: 30'));
    const r = await sync('--no-verify');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /cloudflare keeps TTLs of at least 60 s/);
    assert.ok(fake.records.every((x) => x.ttl === 60));
    assert.equal((await cliInProcess(['plan', manifest], { env: env() })).code, 0);
    writeFileSync(manifest, manifestText(fake, dnsPort, 3).replace('domain: coreos.example.com', 'domain: coreos.example.com\nttl: 1'));
    assert.equal((await sync('--no-verify')).code, 0);
    assert.ok(fake.records.every((x) => x.ttl === 1));
  });
});

describe('the Cloudflare SDK loads only when the cloudflare provider is used', () => {
  it('validate, plan and sync on a zone file never import it; a cloudflare plan does', async () => {
    const { dir, cleanup } = await scratch('cluster.yaml');
    const trace = join(dir, 'imports.txt');
    const hook = join(ROOT, 'dist/test/support/trace-imports.js');
    // The SDK lives in the chunk(s) scripts/bundle.mjs lists; loading any of them is loading it.
    const sdkChunks: string[] = JSON.parse(readFileSync(join(ROOT, 'dist/bundle/chunks.json'), 'utf8')).cloudflare;
    assert.ok(sdkChunks.length > 0, 'the bundle names the chunk that holds the SDK');
    const loadsSdk = (trace: string) => sdkChunks.some((c) => trace.includes(`/dist/bundle/${c}`)) || trace.includes('node_modules/cloudflare');
    try {
      for (const args of [['--version'], ['validate', join(dir, 'cluster.yaml')], ['sync', join(dir, 'cluster.yaml'), '--yes']]) {
        writeFileSync(trace, '');
        const r = await run(process.execPath, ['--import', hook, CLI, ...args], { env: { TRACE_IMPORTS: trace } });
        assert.equal(r.code, 0, r.stderr);
        const loaded = readFileSync(trace, 'utf8');
        assert.ok(loaded.includes('/dist/bundle/cli.js'), 'the trace works');
        assert.ok(!loadsSdk(loaded), `${args[0]} loaded the Cloudflare SDK`);
      }
      writeFileSync(join(dir, 'cf.yaml'), readFileSync(join(FIXTURES, 'cluster.yaml'), 'utf8').replace('type: zonefile', 'type: cloudflare\n  baseUrl: http://127.0.0.1:9'));
      writeFileSync(trace, '');
      await run(process.execPath, ['--import', hook, CLI, 'plan', join(dir, 'cf.yaml')], { env: { TRACE_IMPORTS: trace, CLOUDFLARE_API_TOKEN: 'x', SRVCTL_HTTP_TIMEOUT_MS: '500' } });
      assert.ok(loadsSdk(readFileSync(trace, 'utf8')), 'a cloudflare plan loads the SDK chunk');
    } finally {
      rmSync(trace, { force: true });
      await cleanup();
    }
  });
});
