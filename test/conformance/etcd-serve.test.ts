import assert from 'node:assert/strict';
import { DOMAIN, EtcdBed, type MemberSpec } from '../support/etcdbed.js';

/**
 * Issue 10, end to end: real etcd 3.4 bootstraps with --discovery-srv from `srvctl serve`
 * (not BIND) on 127.0.0.1:53 inside a network namespace whose resolv.conf points there,
 * and etcdctl --discovery-srv finds the cluster. Go's resolver is the consumer that
 * rejected compressed SRV targets; dig never did.
 */
const NODES = ['node1', 'node2', 'node3'];
const IP: Record<string, string> = { node1: '127.0.0.11', node2: '127.0.0.12', node3: '127.0.0.13' };

const ZONE = [
  `$ORIGIN ${DOMAIN}.`,
  '$TTL 60',
  '@ IN SOA ns1 hostmaster 1 3600 600 604800 60',
  '@ IN NS ns1',
  'ns1 IN A 127.0.0.1',
  ...NODES.map((n) => `_etcd-server-ssl._tcp IN SRV 0 0 2380 ${n}`),
  ...NODES.map((n) => `_etcd-client._tcp IN SRV 0 0 2379 ${n}`),
  ...NODES.map((n) => `${n} IN A ${IP[n]}`),
  '',
].join('\n');

describe('real etcd 3.4 and etcdctl bootstrap from srvctl serve (network namespace)', function () {
  this.timeout(180_000);
  let bed: EtcdBed;
  before(async () => {
    bed = new EtcdBed('serve');
    await bed.setup(Object.values(IP));
    await bed.serveZoneWithSrvctl(ZONE);
  });
  after(async () => {
    await bed?.teardown();
  });

  it('a 3-member cluster forms, and etcdctl --discovery-srv lists it and finds it healthy', async () => {
    const specs: MemberSpec[] = NODES.map((name) => ({ name, ip: IP[name]!, peerScheme: 'https' }));
    bed.startMembers(specs, 'srvctl-serve-proof');
    const { members, list } = await bed.settle(60_000);
    for (const m of members) assert.equal(m.exited, false, `${m.name} exited (${m.exitCode}):\n${m.log.split('\n').slice(-6).join('\n')}`);
    assert.ok(list, `no member could list the cluster:\n${bed.logs()}`);
    assert.deepEqual(list.members.map((m) => m.name).sort(), NODES);

    // etcdctl finds the endpoints itself, through _etcd-client._tcp from srvctl serve.
    const listed = await bed.etcdctlDiscovery(['member', 'list', '-w', 'json']);
    assert.equal(listed.code, 0, `etcdctl --discovery-srv member list failed: ${listed.stderr}`);
    assert.equal((JSON.parse(listed.stdout.replace(/":(\d{16,})/g, '":"$1"')) as { members: unknown[] }).members.length, 3);
    // --cluster: the endpoints of every member, starting from the ones DNS gave.
    const health = await bed.etcdctlDiscovery(['endpoint', 'health', '--cluster']);
    assert.equal(health.code, 0, `etcdctl --discovery-srv endpoint health failed: ${health.stdout}${health.stderr}`);
    assert.equal((`${health.stdout}${health.stderr}`.match(/is healthy/g) ?? []).length, 3);
  });
});
