import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Provider } from '../../providers/provider.js';
import { openProvider } from '../../providers/index.js';
import { query } from '../../src/dns/transport.js';
import { SrvctlError } from '../../src/errors.js';
import { Bind, newKey } from '../support/bind.js';
import { DOMAIN } from '../support/etcdbed.js';
import { freePort } from '../support/ports.js';
import { run } from './harness.js';
import { LiveCluster } from './live.js';

/**
 * The live guards and the join order, in-process through the core, against a running
 * etcd 3.4 cluster (network namespace) and BIND: every refusal leaves DNS and the member
 * list exactly as they were; a join whose publish fails is undone.
 */
const KEY = newKey('srvctl');
const READER = newKey('reader', false, true);
const ZONE_TEXT = `$ORIGIN ${DOMAIN}.\n$TTL 60\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n`;
const IPS: Record<string, string> = { node1: '127.0.0.11', node2: '127.0.0.12', node3: '127.0.0.13', node4: '127.0.0.14', node5: '127.0.0.15' };

function manifest(port: number, members: { name: string; host?: string; state?: string }[], keyName = 'srvctl'): string {
  return `version: 1
cluster: live
domain: ${DOMAIN}
etcd: { version: "3.4", tls: true, autoTls: true, token: live-core }
provider: { type: rfc2136, server: 127.0.0.1, port: ${port}, tsig: { name: ${keyName}, secretEnv: SECRET } }
members:
${members.map((m) => `  - { name: ${m.name}, host: ${m.host ?? `${m.name}.${DOMAIN}`}, ipv4: ${IPS[m.name]}${m.state ? `, state: ${m.state}` : ''} }`).join('\n')}
verify: { wait: 5s, timeout: 1s, nameservers: ["127.0.0.1:${port}"] }
`;
}

describe('live guards and the join order against real etcd 3.4 and BIND (in-process)', function () {
  this.timeout(120_000);
  const live = new LiveCluster();
  let bind: Bind;
  let file: string;
  const three = [{ name: 'node1' }, { name: 'node2' }, { name: 'node3' }];
  const withEndpoints = { etcd: () => live.client() };
  const dns = async () => {
    const out: string[] = [];
    for (const [name, type] of [[DOMAIN, 'SOA'], [`_etcd-server-ssl._tcp.${DOMAIN}`, 'SRV'], [`node3.${DOMAIN}`, 'A'], [`node3b.${DOMAIN}`, 'A'], [`node4.${DOMAIN}`, 'A']] as const) {
      const a = await query({ host: '127.0.0.1', port: bind.port }, name, type, { timeoutMs: 1000, retries: 2 });
      out.push(`${name} ${type} ${a.rcode} ${a.answers.map((r) => r.rdata).sort().join(' | ')}`);
    }
    return out;
  };
  const write = (members: Parameters<typeof manifest>[1], keyName?: string) => writeFileSync(file, manifest(bind.port, members, keyName));

  before(async () => {
    bind = new Bind({ zone: DOMAIN, zoneText: ZONE_TEXT, port: await freePort(), keys: [KEY, READER] });
    await bind.start();
    await live.start();
    file = join(live.bed.dir, 'cluster.yaml');
  });
  after(async () => {
    await live.stop();
    await bind?.dispose();
  });

  it('publishes the running cluster: sync with endpoints finds every member running, nothing to add', async () => {
    write(three);
    const r = await run({ mode: 'sync', file, yes: true, format: 'env', etcdEndpoints: live.endpoints }, { env: { SECRET: KEY.secret }, ...withEndpoints });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.live?.members.length, 3);
    assert.deepEqual(r.guards, []);
    assert.deepEqual(r.writes.map((w) => w.action), ['dns apply']);
    assert.deepEqual(r.live!.members.map((m) => m.id).sort(), (await live.members()).map((m) => m.id), 'member IDs in hex, as etcdctl prints them');
  });

  for (const [label, keyName, secret] of [
    ['a wrong TSIG key name', 'nosuchkey', KEY.secret],
    ['a key without the update right', 'reader', READER.secret],
  ] as const) {
    it(`a join with ${label} fails before member add: DNS and membership unchanged`, async () => {
      write([...three, { name: 'node4', state: 'existing' }], keyName);
      const [dnsBefore, membersBefore] = [await dns(), await live.members()];
      const r = await run({ mode: 'sync', file, yes: true, format: 'env', etcdEndpoints: live.endpoints }, { env: { SECRET: secret }, ...withEndpoints });
      assert.equal(r.error?.code, 'provider');
      assert.match(r.error!.message, keyName === 'reader' ? /lacks the update right/ : /does not know key nosuchkey/);
      assert.deepEqual(r.writes, []);
      assert.deepEqual(await dns(), dnsBefore);
      assert.deepEqual(await live.members(), membersBefore);
    });
  }

  it("renaming a running member's host is refused with the exact etcdctl member update; its A record stays", async () => {
    write([{ name: 'node1' }, { name: 'node2' }, { name: 'node3', host: `node3b.${DOMAIN}` }]);
    const [dnsBefore, membersBefore] = [await dns(), await live.members()];
    const node3 = membersBefore.find((m) => m.name === 'node3')!;
    for (const mode of ['plan', 'sync'] as const) {
      const r = await run({ mode, file, yes: true, format: 'env', etcdEndpoints: live.endpoints }, { env: { SECRET: KEY.secret }, ...withEndpoints });
      assert.equal(r.error?.code, 'guard', JSON.stringify(r.error));
      assert.equal(r.outcome, 'refused');
      const g = r.guards.find((x) => x.code === 'peer-url-change')!;
      assert.equal(g.command, `etcdctl member update ${node3.id} --peer-urls=https://node3b.${DOMAIN}:2380`);
      assert.ok(r.error!.details.some((d) => d.startsWith(g.command!)));
    }
    assert.deepEqual(await dns(), dnsBefore);
    assert.deepEqual(await live.members(), membersBefore);
  });

  it('without endpoints the same rename warns what to do by hand (plan shows it)', async () => {
    const r = await run({ mode: 'plan', file }, { env: { SECRET: KEY.secret } });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.ok(r.guards.some((g) => g.code === 'member-change-unverified' && g.effect === 'warn' && /member update/.test(g.message)), JSON.stringify(r.guards));
  });

  it('a running member missing from the manifest is refused with the exact etcdctl member remove', async () => {
    write([{ name: 'node1' }, { name: 'node2' }]);
    const [dnsBefore, membersBefore] = [await dns(), await live.members()];
    const node3 = membersBefore.find((m) => m.name === 'node3')!;
    const r = await run({ mode: 'sync', file, yes: true, format: 'env', etcdEndpoints: live.endpoints }, { env: { SECRET: KEY.secret }, ...withEndpoints });
    assert.equal(r.error?.code, 'guard');
    assert.equal(r.guards.find((g) => g.code === 'running-member-missing')?.command, `etcdctl member remove ${node3.id}`);
    assert.deepEqual(await dns(), dnsBefore);
    assert.deepEqual(await live.members(), membersBefore);
  });

  it('a join whose publish fails after member add is undone with member remove, and says so', async () => {
    write([...three, { name: 'node5', state: 'existing' }]);
    const [dnsBefore, membersBefore] = [await dns(), await live.members()];
    const failingApply = async (m: Parameters<typeof openProvider>[0]): Promise<Provider> => {
      const p = await openProvider(m, { env: { SECRET: KEY.secret }, debug: () => {}, now: () => new Date() });
      p.apply = async () => {
        throw new SrvctlError('provider', 'injected: the UPDATE was lost');
      };
      return p;
    };
    const { coreDeps } = await import('./harness.js');
    const { reconcile } = await import('../../src/reconcile/pipeline.js');
    const deps = { ...coreDeps({ env: { SECRET: KEY.secret }, ...withEndpoints }), openProvider: failingApply };
    const r = await reconcile({ mode: 'sync', file, yes: true, format: 'env', etcdEndpoints: live.endpoints }, deps);
    assert.equal(r.error?.code, 'provider');
    assert.match(r.error!.message, /injected.*the member add was undone, DNS and etcd are as they were/);
    assert.deepEqual(r.writes.map((w) => [w.action, w.ok]), [['member add', true], ['dns apply', false], ['member remove (undo)', true]]);
    assert.match(r.writes[0]!.memberId!, /^[0-9a-f]+$/);
    assert.deepEqual(await dns(), dnsBefore);
    assert.deepEqual(await live.members(), membersBefore);
  });

  it('--move-members whose publish fails: member update, then updated back on real etcd, and says so', async () => {
    write([{ name: 'node1' }, { name: 'node2' }, { name: 'node3', host: `node3b.${DOMAIN}` }]);
    const [dnsBefore, membersBefore] = [await dns(), await live.members()];
    const node3 = membersBefore.find((m) => m.name === 'node3')!;
    const failingApply = async (m: Parameters<typeof openProvider>[0]): Promise<Provider> => {
      const p = await openProvider(m, { env: { SECRET: KEY.secret }, debug: () => {}, now: () => new Date() });
      p.apply = async () => {
        throw new SrvctlError('provider', 'injected: the UPDATE was lost');
      };
      return p;
    };
    const { coreDeps } = await import('./harness.js');
    const { reconcile } = await import('../../src/reconcile/pipeline.js');
    const deps = { ...coreDeps({ env: { SECRET: KEY.secret }, ...withEndpoints }), openProvider: failingApply };
    const r = await reconcile({ mode: 'sync', file, yes: true, format: 'env', etcdEndpoints: live.endpoints, moveMembers: true }, deps);
    assert.match(r.error!.message, /injected.*the member update was undone, DNS and etcd are as they were/);
    assert.deepEqual(r.writes.map((w) => [w.action, w.ok, w.memberId]), [['member update', true, node3.id], ['dns apply', false, undefined], ['member update (undo)', true, node3.id]]);
    assert.deepEqual(await dns(), dnsBefore);
    assert.deepEqual(await live.members(), membersBefore);
  });

  it('a join with the right key: member add first (hex ID), then the records', async () => {
    write([...three, { name: 'node4', state: 'existing' }]);
    const r = await run({ mode: 'sync', file, yes: true, format: 'env', verify: false, etcdEndpoints: live.endpoints }, { env: { SECRET: KEY.secret }, ...withEndpoints });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.deepEqual(r.writes.map((w) => [w.action, w.ok]), [['member add', true], ['dns apply', true]]);
    const after = await live.members();
    const added = after.find((m) => m.peerURLs.includes(`https://node4.${DOMAIN}:2380`))!;
    assert.equal(r.writes[0]!.memberId, added.id);
    assert.match((await dns()).find((l) => l.startsWith(`node4.${DOMAIN} A`))!, /127\.0\.0\.14/);
  });
});
