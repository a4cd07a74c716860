import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bind, newKey } from '../support/bind.js';
import { DOMAIN, EtcdBed, type EtcdRelease, type MemberSpec } from '../support/etcdbed.js';

/**
 * One cluster's life on real etcd, BIND and the rfc2136 provider in a network namespace:
 * 3.4 with https peers (3.4 reads only _etcd-server-ssl), 3.5 (trixie's) with http and with
 * https (auto-TLS). Hand-made records
 * adopted, members bootstrapped from srvctl's env renders, drift --etcd clean, destroy
 * refused while they run, then destroy once they are stopped.
 */
const KEY = newKey('srvctl');
const ENV = { SRVCTL_TSIG: KEY.secret };
const NODES = ['node1', 'node2', 'node3'] as const;
const IP = { node1: '127.0.0.11', node2: '127.0.0.12', node3: '127.0.0.13' } as const;
const CLIENT = { node1: 2379, node2: 2479, node3: 2579 } as const;

const RUNS: { release: EtcdRelease; version: '3.4' | '3.5'; tls: boolean }[] = [
  { release: '3.4', version: '3.4', tls: true },
  { release: '3.5', version: '3.5', tls: false },
  { release: '3.5', version: '3.5', tls: true },
];

for (const { release, version, tls } of RUNS) {
  const scheme = tls ? 'https' : 'http';
  const insecure = tls ? ['--insecure-skip-tls-verify'] : [];
  const srvSuffix = tls ? '-ssl' : '';

  describe(`the life of one cluster on real etcd ${release} with ${scheme} peers (adopt, bootstrap, drift, destroy)`, function () {
    this.timeout(240_000);
    let bed: EtcdBed;
    let bind: Bind;
    let file: string;
    const srvctl = (...args: string[]) => bed.srvctl(args, ENV);
    const digCount = async (name: string) => {
      const r = await bed.exec(['dig', '@127.0.0.1', name, 'SRV', '+short', '+norec', '+time=1', '+tries=1']);
      return r.stdout.split('\n').filter((l) => l.trim()).length;
    };

    before(async () => {
      bed = new EtcdBed(`life${release.replace(/\W/g, '')}${tls ? 's' : 'p'}`, release);
      await bed.setup(Object.values(IP));
      // the hand-made records an operator has today: exactly what the manifest will want, no markers
      const handMade = [
        `$ORIGIN ${DOMAIN}.`,
        '$TTL 300',
        '@ IN SOA ns1 hostmaster 1 3600 600 604800 60',
        '@ IN NS ns1',
        'ns1 IN A 127.0.0.1',
        ...NODES.map((n) => `_etcd-server${srvSuffix}._tcp 300 IN SRV 0 0 2380 ${n}.${DOMAIN}.`),
        ...NODES.map((n) => `_etcd-client${srvSuffix}._tcp 300 IN SRV 0 0 ${CLIENT[n]} ${n}.${DOMAIN}.`),
        ...NODES.map((n) => `${n} 300 IN A ${IP[n]}`),
        '',
      ].join('\n');
      bind = new Bind({ zone: DOMAIN, zoneText: handMade, port: 53, keys: [KEY], prefix: ['ip', 'netns', 'exec', bed.ns], dir: bed.dir });
      await bind.start();
      file = join(bed.dir, 'cluster.yaml');
      writeFileSync(
        file,
        `version: 1
cluster: life
domain: ${DOMAIN}
etcd: { version: "${version}", tls: ${tls}${tls ? ', autoTls: true' : ''}, token: life-${release}-${scheme} }
provider: { type: rfc2136, server: 127.0.0.1, port: 53, tsig: { name: srvctl, secretEnv: SRVCTL_TSIG } }
members:
${NODES.map((n) => `  - { name: ${n}, host: ${n}.${DOMAIN}, ipv4: ${IP[n]}, clientPort: ${CLIENT[n]} }`).join('\n')}
verify: { wait: 20s, timeout: 1s }
`,
      );
    });
    after(async () => {
      await bed?.stopMembers();
      await bind?.stop();
      await bed?.teardown();
    });

    it('adopts the hand-made records, bootstraps from the renders, drift is clean, destroy waits for the cluster to stop', async () => {
      const synced = await srvctl('sync', file, '--adopt', '--yes', '--format', 'env', '--out', join(bed.dir, 'env'), '--json');
      assert.equal(synced.code, 0, synced.stderr);
      const doc = JSON.parse(synced.stdout);
      assert.equal(doc.plan.summary.adopt, 9);
      assert.equal(doc.plan.summary.create, 0);
      assert.equal(doc.verify.ok, true);

      for (const n of NODES) {
        const envFile = join(bed.dir, 'env', `${n}.env`);
        assert.ok(existsSync(envFile), `${envFile} rendered`);
        const spec: MemberSpec = { name: n, ip: IP[n], peerScheme: scheme, clientUrl: `${scheme}://${IP[n]}:${CLIENT[n]}` };
        bed.startRendered(spec, { envFile });
      }
      const { list } = await bed.settle();
      assert.ok(list, `no cluster formed:\n${bed.logs()}`);
      assert.deepEqual(list.members.map((m) => m.name).sort(), [...NODES]);
      assert.equal(list.clusterId, doc.prediction.cluster.formed.clusterId, 'the cluster ID srvctl predicted on served DNS');

      const drift = await srvctl('drift', file, '--etcd', ...insecure, '--json');
      assert.equal(drift.code, 0, `${drift.stderr}\n${drift.stdout}`);

      const endpoints = `${scheme}://${IP.node1}:${CLIENT.node1}`;
      const refused = await srvctl('destroy', file, '--yes', '--json', '--etcd-endpoints', endpoints, ...insecure);
      assert.equal(refused.code, 1, refused.stderr);
      assert.deepEqual(JSON.parse(refused.stdout).guards.map((g: { memberId: string }) => g.memberId).sort(), list.members.map((m) => m.id).sort());
      assert.equal(await digCount(`_etcd-server${srvSuffix}._tcp.${DOMAIN}`), 3, 'nothing deleted while the cluster runs');

      await bed.stopMembers();
      const destroyed = await srvctl('destroy', file, '--yes', '--json', '--etcd-endpoints', endpoints, ...insecure);
      assert.equal(destroyed.code, 0, destroyed.stderr);
      const d = JSON.parse(destroyed.stdout);
      assert.equal(d.verify.ok, true, 'every nameserver stopped answering the records');
      assert.equal(await digCount(`_etcd-server${srvSuffix}._tcp.${DOMAIN}`), 0);
      assert.equal(await digCount(`_etcd-client${srvSuffix}._tcp.${DOMAIN}`), 0);
    });
  });
}
