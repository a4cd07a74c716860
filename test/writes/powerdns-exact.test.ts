import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SrvctlError } from '../../src/errors.js';
import { run } from '../support/run.js';
import { PowerDns } from '../support/pdns.js';
import { clusterYaml, manifestFrom, syncInProcess, testContext } from './pipeline.js';

const SRV = '_etcd-server._tcp.c.example.com';
const HOST = 'm0.c.example.com';

/** `dig +noall +answer` lines, sorted: the wire answer as dig presents it. */
async function wire(port: number, name: string, type: string): Promise<string[]> {
  const r = await run('dig', ['@127.0.0.1', '-p', String(port), name, type, '+noall', '+answer', '+norec', '+time=2', '+tries=1']);
  if (r.code !== 0) throw new Error(`dig failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).sort();
}

interface ApiRRset {
  name: string;
  type: string;
  records: { content: string; disabled: boolean }[];
}

describe('writes: PowerDNS keeps foreign records byte for byte', function () {
  this.timeout(60_000);
  let pdns: PowerDns;
  const manifest = () =>
    manifestFrom('/nonexistent/c.yaml', clusterYaml({ cluster: 'c', domain: 'c.example.com', zone: 'example.com', members: 3, net: 1, provider: `  type: powerdns\n  url: ${pdns.url}\n  apiKeyEnv: PDNS_KEY` }));
  const ctx = () => testContext({ PDNS_KEY: pdns.apiKey });
  const rrset = async (name: string, type: string): Promise<ApiRRset | undefined> => {
    const zone = (await (await pdns.api('GET', '/api/v1/servers/localhost/zones/example.com.')).json()) as { rrsets: ApiRRset[] };
    return zone.rrsets.find((s) => s.name === `${name}.` && s.type === type);
  };
  const patch = async (rrsets: unknown[]) => {
    const res = await pdns.api('PATCH', '/api/v1/servers/localhost/zones/example.com.', { rrsets });
    assert.equal(res.status, 204, await res.text());
  };

  beforeEach(async () => {
    pdns = new PowerDns();
    await pdns.start('example.com', [{ name: 'ns1.example.com', type: 'A', ttl: 3600, content: ['127.0.0.1'] }]);
  });
  afterEach(async () => {
    await pdns.dispose();
  });

  it('non-ASCII TXT and disabled records in RRsets srvctl rewrites: identical on the wire and in the API after a sync', async () => {
    await patch([
      { name: `${HOST}.`, type: 'TXT', ttl: 300, changetype: 'REPLACE', records: [{ content: '"caf\\195\\169"', disabled: false }, { content: '"\\255"', disabled: false }, { content: '"raw é"', disabled: false }, { content: '"off duty"', disabled: true }] },
      { name: `${HOST}.`, type: 'A', ttl: 300, changetype: 'REPLACE', records: [{ content: '10.9.9.9', disabled: true }] },
      { name: `${SRV}.`, type: 'SRV', ttl: 300, changetype: 'REPLACE', records: [{ content: '0 0 2380 spare.example.net.', disabled: true }, { content: '5 5 2380 other.example.net.', disabled: false }] },
    ]);
    const txtBefore = await wire(pdns.dnsPort, HOST, 'TXT');
    const apiBefore = { txt: await rrset(HOST, 'TXT'), a: await rrset(HOST, 'A'), srv: await rrset(SRV, 'SRV') };
    const { plan } = await syncInProcess(manifest(), ctx());
    assert.ok(plan.changes.some((c) => c.after?.name === HOST && c.after.type === 'TXT'), 'the sync rewrites the TXT RRset at the host (its markers)');
    assert.ok(plan.changes.some((c) => c.after?.name === HOST && c.after.type === 'A'), 'and the A RRset that holds the disabled record');

    // On the wire: the foreign TXT answers are all still there, byte for byte, beside srvctl's markers.
    const txtAfter = await wire(pdns.dnsPort, HOST, 'TXT');
    for (const line of txtBefore) assert.ok(txtAfter.includes(line), `lost or re-encoded on the wire: ${line}\nnow: ${txtAfter.join('\n')}`);
    assert.ok(txtAfter.some((l) => l.includes('"caf\\195\\169"')) && txtAfter.some((l) => l.includes('"\\255"')));
    // In the API: the same content strings and the same disabled records.
    const contents = (s: ApiRRset | undefined) => (s?.records ?? []).map((r) => `${r.disabled}:${r.content}`);
    for (const [k, s] of Object.entries(apiBefore)) {
      const now = contents(await rrset(k === 'srv' ? SRV : HOST, k.toUpperCase()));
      for (const c of contents(s)) assert.ok(now.includes(c), `${k}: ${c} is gone or changed; now ${now.join(', ')}`);
    }
    assert.deepEqual((await wire(pdns.dnsPort, HOST, 'A')).map((l) => l.split(/\s+/).join(' ')), [`${HOST}. 300 IN A 10.1.0.1`], "the disabled A is not served, srvctl's is");
    // Disabled records are not served, so they do not count as served records in the next plan either.
    const second = await syncInProcess(manifest(), ctx());
    assert.deepEqual(second.plan.changes, []);
  });

  it('a foreign record written by another API client between the last read and the PATCH is reported, never lost silently', async () => {
    const m = manifest();
    const original = globalThis.fetch;
    let injected = false;
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      if (init?.method === 'PATCH' && !injected) {
        injected = true;
        // The other client adds a record to the SRV RRset srvctl is about to replace.
        await original(`${pdns.url}/api/v1/servers/localhost/zones/example.com.`, {
          method: 'PATCH',
          headers: { 'X-API-Key': pdns.apiKey, 'content-type': 'application/json' },
          body: JSON.stringify({ rrsets: [{ name: `${SRV}.`, type: 'SRV', ttl: 300, changetype: 'REPLACE', records: [{ content: '9 9 2380 intruder.example.net.', disabled: false }] }] }),
        });
      }
      return original(input, init);
    }) as typeof fetch;
    try {
      await assert.rejects(syncInProcess(m, ctx()), (e: unknown) => e instanceof SrvctlError && /another API client/.test(e.message) && /no longer in the zone/.test(e.message) && /_etcd-server\._tcp\.c\.example\.com SRV/.test(e.message));
    } finally {
      globalThis.fetch = original;
    }
    assert.ok(injected);
  });
});
