import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authority } from '../../src/dns/authority.js';
import { startServer } from '../../src/dns/server.js';
import { parseZone } from '../../src/dns/zonefile.js';
import { reconcile } from '../../src/reconcile/pipeline.js';
import { fixtureText } from '../support/manifests.js';
import { coreDeps } from './harness.js';

/**
 * verify.nameservers given as host names go through the injected host lookup (the CLI's
 * asks resolv.conf's nameservers with srvctl's own DNS client, never getaddrinfo), and a
 * name without addresses is a named failure, not a nameserver silently left out of the proof.
 */
describe('verify.nameservers host names (in-process, embedded server)', () => {
  let dir: string;
  let file: string;
  const SOA = '$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'srvctl-verify-ns-'));
    file = join(dir, 'cluster.yaml');
    await writeFile(join(dir, 'example.com.zone'), SOA);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const withNameservers = (list: string) => writeFile(file, `${fixtureText().replace(/\nverify:.*(\n  .*)*/, '')}\nverify: { wait: 5s, timeout: 1s, nameservers: [${list}] }\n`);

  it('a host name is looked up through the injected lookup and its address is asked', async () => {
    await withNameservers('"ns.lookup.test:53"');
    const first = await reconcile({ mode: 'sync', file, yes: true, verify: false }, coreDeps());
    assert.equal(first.outcome, 'applied', JSON.stringify(first.error));
    const records = parseZone(await readFile(join(dir, 'example.com.zone'), 'utf8'), 'example.com').records;
    const server = await startServer(new Authority('example.com', records), { host: '127.0.0.1', port: 0 });
    try {
      await withNameservers(`"ns.lookup.test:${server.port}"`);
      const asked: string[] = [];
      const deps = { ...coreDeps(), lookupHost: async (host: string) => (asked.push(host), host === 'ns.lookup.test' ? ['127.0.0.1'] : []) };
      const r = await reconcile({ mode: 'sync', file, yes: true }, deps);
      assert.equal(r.outcome, 'in-sync', JSON.stringify(r.error));
      assert.deepEqual(asked, ['ns.lookup.test']);
      assert.deepEqual(r.nameservers?.map((n) => [n.name, n.host, n.port]), [['ns.lookup.test', '127.0.0.1', server.port]]);
      assert.equal(r.verify?.ok, true);
    } finally {
      await server.close();
    }
  });

  it('a host name without addresses fails with code dns naming it, before anything is written', async () => {
    // node4 joins: the plan has changes, and none of them may reach the zone file.
    await writeFile(file, `${fixtureText()}  - { name: node4, host: node4.coreos.example.com, ipv4: 10.0.0.4 }\nverify: { wait: 5s, timeout: 1s, nameservers: ["127.0.0.1:53", "gone.lookup.test:53"] }\n`);
    const before = await readFile(join(dir, 'example.com.zone'), 'utf8');
    const r = await reconcile({ mode: 'sync', file, yes: true }, { ...coreDeps(), lookupHost: async () => [] });
    assert.equal(r.outcome, 'failed');
    assert.equal(r.error?.code, 'dns');
    assert.ok(r.plan && r.plan.changes.length > 0, 'the plan had changes to write');
    assert.deepEqual(r.writes, []);
    assert.match(r.error?.message ?? '', /nameserver gone\.lookup\.test from verify\.nameservers has no A or AAAA record/);
    assert.equal(await readFile(join(dir, 'example.com.zone'), 'utf8'), before);
  });
});
