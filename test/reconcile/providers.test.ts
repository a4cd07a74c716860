import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from '../../src/dns/transport.js';
import { newKey } from '../support/bind.js';
import { FakeCloudflare } from '../support/cloudflare/fake.js';
import { Knot } from '../support/knot.js';
import { PowerDns } from '../support/pdns.js';
import { freePort } from '../support/ports.js';
import { run } from './harness.js';

/**
 * The same pipeline on every writing provider, in-process: a first cluster syncs; a second
 * cluster on the same domain is refused in stage 3 with DNS identical before and after;
 * a bad credential fails plan, sync and drift, nothing written.
 */
interface Setup {
  provider: string; // the manifest's provider block
  dnsPort: number;
  env: Record<string, string>;
  badEnv: Record<string, string>;
  cause: RegExp;
  stop(): Promise<void>;
}

const KNOT_KEY = newKey('srvctl');

const PROVIDERS: Record<string, () => Promise<Setup>> = {
  'Knot (rfc2136)': async () => {
    const port = await freePort();
    const knot = new Knot({ zone: 'example.com', zoneText: `$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n`, port, keys: [KNOT_KEY] });
    await knot.start();
    return { provider: `{ type: rfc2136, zone: example.com, server: 127.0.0.1, port: ${port}, tsig: { name: srvctl, secretEnv: SECRET } }`, dnsPort: port, env: { SECRET: KNOT_KEY.secret }, badEnv: { SECRET: newKey('x').secret }, cause: /BADSIG/, stop: () => knot.dispose() };
  },
  PowerDNS: async () => {
    const pdns = new PowerDns();
    await pdns.start('example.com', [{ name: 'ns1.example.com', type: 'A', ttl: 3600, content: ['127.0.0.1'] }]);
    return { provider: `{ type: powerdns, zone: example.com, url: "${pdns.url}", apiKeyEnv: PDNS_KEY }`, dnsPort: pdns.dnsPort, env: { PDNS_KEY: pdns.apiKey }, badEnv: { PDNS_KEY: 'wrong-key' }, cause: /rejected the API key from PDNS_KEY/, stop: () => pdns.dispose() };
  },
  'Cloudflare (fake)': async () => {
    const fake = new FakeCloudflare();
    await fake.start();
    fake.addZone('example.com');
    fake.tokens.set('cf-token-good', 'edit');
    const dnsPort = await fake.serveDns('example.com');
    return {
      provider: `{ type: cloudflare, zone: example.com, baseUrl: "${fake.baseUrl}" }`,
      dnsPort,
      env: { CLOUDFLARE_API_TOKEN: 'cf-token-good', SRVCTL_HTTP_TIMEOUT_MS: '1500' },
      badEnv: { CLOUDFLARE_API_TOKEN: 'cf-token-wrong', SRVCTL_HTTP_TIMEOUT_MS: '1500' },
      cause: /Cloudflare refused .*Authentication error/,
      stop: async () => {
        assert.deepEqual(fake.violations, [], 'every request and response matches the official schema');
        await fake.stop();
      },
    };
  },
};

function manifest(s: Setup, cluster: string, prefix: string, net: string): string {
  return `version: 1
cluster: ${cluster}
domain: coreos.example.com
provider: ${s.provider}
members:
${[1, 2, 3].map((i) => `  - { name: ${prefix}${i}, host: ${prefix}${i}.coreos.example.com, ipv4: ${net}.${i} }`).join('\n')}
verify: { wait: 10s, timeout: 1s, nameservers: ["127.0.0.1:${s.dnsPort}"] }
`;
}

for (const [label, make] of Object.entries(PROVIDERS)) {
  describe(`the pipeline on ${label} (in-process)`, function () {
    this.timeout(60_000);
    let s: Setup;
    let dir: string;
    const served = async () => {
      const out: string[] = [];
      for (const [name, type] of [['_etcd-server._tcp.coreos.example.com', 'SRV'], ['_etcd-client._tcp.coreos.example.com', 'SRV'], ['node1.coreos.example.com', 'A'], ['other1.coreos.example.com', 'A']]) {
        const a = await query({ host: '127.0.0.1', port: s.dnsPort }, name!, type!, { timeoutMs: 1000, retries: 2 });
        out.push(`${name} ${type} ${a.rcode} ${a.answers.map((r) => r.rdata).sort().join(' | ')}`);
      }
      return out;
    };
    before(async () => {
      s = await make();
      dir = mkdtempSync(join(tmpdir(), 'srvctl-providers-'));
    });
    after(async () => {
      await s?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a first cluster syncs and verifies; the prediction on the planned records agrees with the one on served DNS', async () => {
      const file = join(dir, 'alpha.yaml');
      writeFileSync(file, manifest(s, 'alpha', 'node', '10.0.0'));
      const r = await run({ mode: 'sync', file, yes: true, format: 'env' }, { env: s.env });
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      assert.equal(r.outcome, 'applied');
      assert.equal(r.verify?.ok, true);
      assert.equal(r.planned!.cluster.formed!.clusterId, r.prediction!.cluster.formed!.clusterId);
    });

    it('a second cluster on the same domain is refused in stage 3: DNS identical before and after', async () => {
      const file = join(dir, 'beta.yaml');
      writeFileSync(file, manifest(s, 'beta', 'other', '10.0.1'));
      const before = await served();
      const r = await run({ mode: 'sync', file, yes: true, format: 'env' }, { env: s.env });
      assert.equal(r.outcome, 'refused');
      assert.equal(r.error?.code, 'prediction');
      assert.deepEqual(r.writes, []);
      assert.deepEqual(await served(), before);
    });

    for (const mode of ['plan', 'sync', 'drift'] as const) {
      it(`a bad credential: ${mode} fails naming it, nothing written`, async () => {
        const file = join(dir, 'alpha.yaml');
        const before = await served();
        const r = await run({ mode, file, yes: true, format: 'env' }, { env: s.badEnv });
        assert.equal(r.outcome, 'failed');
        assert.equal(r.error?.code, 'provider');
        assert.match(r.error!.message, s.cause);
        assert.deepEqual(r.writes, []);
        assert.deepEqual(await served(), before);
      });
    }
  });
}
