import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMAIN, EtcdBed, type MemberSpec } from '../support/etcdbed.js';

/**
 * destroy against a real etcd 3.5 cluster in a network namespace: while its members run,
 * the live member list (etcd's own gateway) refuses the destroy and nothing is written;
 * once they are stopped, "connection refused" on the endpoint lets it through.
 */
const NODES = ['node1', 'node2', 'node3'];
const IP: Record<string, string> = { node1: '127.0.0.11', node2: '127.0.0.12', node3: '127.0.0.13' };

describe('srvctl destroy against a running real etcd 3.5 (network namespace)', function () {
  this.timeout(120_000);
  let bed: EtcdBed;
  before(async () => {
    bed = new EtcdBed('destroy', '3.5');
    await bed.setup(Object.values(IP));
  });
  after(async () => {
    await bed?.teardown();
  });

  it('refuses while members run (guard names the live member IDs, zone file unchanged), deletes once they stopped', async () => {
    const zone = [`$ORIGIN ${DOMAIN}.`, '$TTL 60', '@ IN SOA ns1 hostmaster 1 3600 600 604800 60', '@ IN NS ns1', 'ns1 IN A 127.0.0.1', ...NODES.map((n) => `_etcd-server._tcp IN SRV 0 0 2380 ${n}`), ...NODES.map((n) => `${n} IN A ${IP[n]}`), ''].join('\n');
    await bed.serveZone(zone);
    const specs: MemberSpec[] = NODES.map((name) => ({ name, ip: IP[name]!, peerScheme: 'http' }));
    bed.startMembers(specs, 'lc-destroy');
    const { list } = await bed.settle();
    assert.ok(list, `the cluster did not form:\n${bed.logs()}`);
    assert.equal(list.members.length, 3);

    // the cluster's records as srvctl owns them, in a zone file (the provider srvctl writes to)
    const manifest = join(bed.dir, 'cluster.yaml');
    writeFileSync(
      manifest,
      ['version: 1', 'cluster: lc-destroy', `domain: ${DOMAIN}`, 'etcd: { version: "3.5", tls: false }', `provider: { type: zonefile, zone: ${DOMAIN}, path: ./owned.zone }`, 'members:', ...NODES.map((n) => `  - { name: ${n}, host: ${n}.${DOMAIN}, ipv4: ${IP[n]} }`), ''].join('\n'),
    );
    const synced = await bed.srvctl(['sync', manifest, '--yes', '--no-verify', '--json']);
    assert.equal(synced.code, 0, synced.stderr);
    const zoneFile = join(bed.dir, 'owned.zone');
    const owned = readFileSync(zoneFile, 'utf8');

    const endpoints = `http://${IP.node1}:2379,http://${IP.node2}:2379`;
    const refused = await bed.srvctl(['destroy', manifest, '--yes', '--no-verify', '--json', '--etcd-endpoints', endpoints]);
    assert.equal(refused.code, 1, refused.stderr);
    const doc = JSON.parse(refused.stdout);
    assert.equal(doc.outcome, 'refused');
    assert.deepEqual(doc.guards.map((g: { code: string; effect: string }) => [g.code, g.effect]), NODES.map(() => ['destroy-running', 'refuse']));
    assert.deepEqual(doc.guards.map((g: { memberId: string }) => g.memberId).sort(), list.members.map((m) => m.id).sort(), 'member IDs in hex, as etcdctl prints them');
    assert.equal(readFileSync(zoneFile, 'utf8'), owned, 'nothing written');

    await bed.stopMembers();
    const done = await bed.srvctl(['destroy', manifest, '--yes', '--no-verify', '--json', '--etcd-endpoints', endpoints]);
    assert.equal(done.code, 0, done.stderr);
    const after = JSON.parse(done.stdout);
    assert.deepEqual(after.guards, []);
    assert.equal(after.plan.summary.delete, 9);
    assert.doesNotMatch(readFileSync(zoneFile, 'utf8'), /heritage=srvctl|IN SRV|127\.0\.0\.1[123]/);
  });
});
