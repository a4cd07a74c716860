import assert from 'node:assert/strict';
import { openProvider } from '../../providers/index.js';
import type { ProviderContext } from '../../providers/provider.js';
import { cloudflareBudget } from '../../providers/rate-budget.js';
import { Authority } from '../../src/dns/authority.js';
import { lookupVia } from '../../src/dns/host-lookup.js';
import { startServer, type RunningServer } from '../../src/dns/server.js';
import { parseZone } from '../../src/dns/zonefile.js';
import { FakeCloudflare } from '../support/cloudflare/fake.js';
import { freePort } from '../support/ports.js';
import { clusterYaml, manifestFrom } from './pipeline.js';

const SECRET = Buffer.alloc(32, 7).toString('base64');

/** srvctl's embedded server on loopback, serving one zone: a stand-in primary or resolver. */
async function zoneServer(origin: string, body: string): Promise<RunningServer> {
  const text = `$ORIGIN ${origin}.\n$TTL 300\n@ IN SOA ns1.${origin}. hostmaster.${origin}. 1 3600 600 604800 60\n${body}\n`;
  return startServer(new Authority(origin, parseZone(text, origin).records), { host: '127.0.0.1', port: 0 });
}

function context(debug: string[], lookupHost?: ProviderContext['lookupHost']): ProviderContext {
  return { env: { TSIG_SECRET: SECRET, CLOUDFLARE_API_TOKEN: 'cf-ns-token' }, debug: (m) => void debug.push(m), now: () => new Date(), ...(lookupHost ? { lookupHost } : {}) };
}

describe('writes: NS hosts outside the zone are looked up only through an injected resolver', function () {
  this.timeout(30_000);
  const servers: RunningServer[] = [];
  let resolver: RunningServer;
  beforeEach(async () => {
    // Answers for the out-of-zone NS hosts, as a recursive resolver would.
    resolver = await zoneServer('other.test', '@ IN NS ns1\nns1 IN A 127.0.0.1\nns IN A 127.0.0.2\nns IN AAAA ::2');
    servers.push(resolver, await zoneServer('example-dns.invalid', '@ IN NS ns1\nns1 IN A 127.0.0.3\nns2 IN A 127.0.0.4'));
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  const via = () => lookupVia(servers.map((s) => ({ host: s.host, port: s.port })), { timeoutMs: 500, retries: 0 });

  it('lookupVia asks with srvctl\'s own client, resolver by resolver; a silent one is passed over', async () => {
    const silent = { host: '127.0.0.1', port: await freePort() };
    const lookup = lookupVia([silent, { host: resolver.host, port: resolver.port }], { timeoutMs: 200, retries: 0 });
    assert.deepEqual((await lookup('ns.other.test')).sort(), ['127.0.0.2', '::2']);
    assert.deepEqual(await lookup('nothing.other.test'), []);
  });

  it('rfc2136: the in-zone NS is asked of the primary, the out-of-zone one of the injected lookup, and of nobody without it', async () => {
    const primary = await zoneServer('example.com', '@ IN NS ns1\n@ IN NS ns.other.test.\nns1 IN A 127.0.0.1');
    servers.push(primary);
    const m = manifestFrom(
      '/nonexistent/c.yaml',
      clusterYaml({ cluster: 'c', domain: 'c.example.com', zone: 'example.com', members: 1, net: 1, provider: `  type: rfc2136\n  server: 127.0.0.1\n  port: ${primary.port}\n  tsig: { name: k, secretEnv: TSIG_SECRET }` }),
    );
    const debug: string[] = [];
    const withLookup = await openProvider(m, context(debug, via()));
    const got = (await withLookup.nameservers()).map((n) => `${n.name} ${n.host}:${n.port}`).sort();
    assert.deepEqual(got, [`ns.other.test 127.0.0.2:53`, `ns.other.test ::2:53`, `ns1.example.com 127.0.0.1:${primary.port}`]);
    const without = await openProvider(m, context(debug));
    assert.deepEqual((await without.nameservers()).map((n) => n.name), ['ns1.example.com']);
    assert.ok(debug.some((d) => /ns\.other\.test is outside the zone and no resolver was given/.test(d)), debug.join('\n'));
  });

  it('cloudflare: its nameservers are looked up through the injected lookup; without one, a clear error', async () => {
    cloudflareBudget.clear();
    const fake = new FakeCloudflare();
    await fake.start();
    try {
      fake.addZone('example.com');
      fake.tokens.set('cf-ns-token', 'edit');
      const m = manifestFrom('/nonexistent/c.yaml', clusterYaml({ cluster: 'c', domain: 'c.example.com', zone: 'example.com', members: 1, net: 1, provider: `  type: cloudflare\n  baseUrl: "${fake.baseUrl}"` }));
      const debug: string[] = [];
      const withLookup = await openProvider(m, context(debug, via()));
      assert.deepEqual((await withLookup.nameservers()).map((n) => `${n.name} ${n.host}`).sort(), ['ns1.example-dns.invalid 127.0.0.3', 'ns2.example-dns.invalid 127.0.0.4']);
      const without = await openProvider(m, context(debug));
      await assert.rejects(without.nameservers(), /cannot resolve the Cloudflare nameservers of example\.com .*set verify\.nameservers/);
    } finally {
      cloudflareBudget.clear();
      await fake.stop();
    }
  });
});
