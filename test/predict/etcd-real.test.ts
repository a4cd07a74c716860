import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMAIN, EtcdBed, type MemberSpec } from '../support/etcdbed.js';

/**
 * srvctl check predicts, then real etcd 3.4 (Debian's etcd-server) bootstraps from the
 * same records inside a network namespace; the prediction must match what etcd did.
 */
const NODES = ['node1', 'node2', 'node3'];
const IP: Record<string, string> = { node1: '127.0.0.11', node2: '127.0.0.12', node3: '127.0.0.13', old0: '127.0.0.10' };
const TOKEN = 'srvctl-proof';

interface Case {
  title: string;
  peers: 'https' | 'http';
  ssl?: (string | [string, number])[];
  plain?: (string | [string, number])[];
  noAddress?: string[];
  extraHosts?: string[];
}

const cases: Case[] = [
  { title: 'good: all three in _etcd-server-ssl', peers: 'https', ssl: NODES },
  { title: 'http-only records', peers: 'http', plain: NODES },
  { title: 'a member missing from SRV', peers: 'https', ssl: ['node1', 'node2'] },
  { title: 'a target without an A record', peers: 'https', ssl: NODES, noAddress: ['node3'] },
  { title: 'a wrong port', peers: 'https', ssl: ['node1', ['node2', 2390], 'node3'] },
  { title: 'ssl records but http peers', peers: 'http', ssl: NODES },
  { title: 'stale ssl records (an old member left behind, node3 not yet added)', peers: 'https', ssl: ['node1', 'node2', 'old0'], extraHosts: ['old0'] },
  { title: 'both record sets', peers: 'https', ssl: NODES, plain: NODES },
];

function zoneFor(c: Case): string {
  const lines = [`$ORIGIN ${DOMAIN}.`, '$TTL 60', `@ IN SOA ns1 hostmaster 1 3600 600 604800 60`, '@ IN NS ns1', 'ns1 IN A 127.0.0.1'];
  const srv = (name: string, list: (string | [string, number])[]) => {
    for (const t of list) {
      const [host, port] = Array.isArray(t) ? t : [t, 2380];
      lines.push(`${name} IN SRV 0 0 ${port} ${host}`);
    }
  };
  if (c.ssl) srv('_etcd-server-ssl._tcp', c.ssl);
  if (c.plain) srv('_etcd-server._tcp', c.plain);
  for (const n of [...NODES, ...(c.extraHosts ?? [])]) if (!c.noAddress?.includes(n)) lines.push(`${n} IN A ${IP[n]}`);
  return `${lines.join('\n')}\n`;
}

function manifestFor(c: Case): string {
  // A plain-http manifest cannot say 3.4 (srvctl rejects it); the version is forced with --etcd-version.
  return [
    'version: 1',
    'cluster: proof',
    `domain: ${DOMAIN}`,
    'etcd:',
    `  version: "${c.peers === 'https' ? '3.4' : '3.5'}"`,
    `  tls: ${c.peers === 'https'}`,
    `  token: ${TOKEN}`,
    'members:',
    ...NODES.map((n) => `  - {name: ${n}, host: ${n}.${DOMAIN}}`),
    '',
  ].join('\n');
}

const normalize = (log: string) => log.replace(/ on 127\.0\.0\.1:53:/g, ' on <resolver>:');

describe('srvctl check against real etcd 3.4 bootstrapping from BIND (network namespace)', function () {
  this.timeout(180_000);
  let bed: EtcdBed;
  before(async () => {
    bed = new EtcdBed('proof');
    await bed.setup(Object.values(IP));
  });
  after(async () => {
    await bed?.teardown();
  });
  afterEach(async () => {
    await bed.stopMembers();
  });

  for (const c of cases) {
    it(c.title, async () => {
      await bed.serveZone(zoneFor(c));
      const manifest = join(bed.dir, 'cluster.yaml');
      writeFileSync(manifest, manifestFor(c));

      const checked = await bed.srvctl(['check', DOMAIN, '--manifest', manifest, '--etcd-version', '3.4', '--json']);
      assert.ok([0, 1, 2].includes(checked.code), checked.stderr);
      const report = JSON.parse(checked.stdout);

      const specs: MemberSpec[] = NODES.map((name) => ({ name, ip: IP[name]!, peerScheme: c.peers }));
      bed.startMembers(specs, TOKEN);
      const { members, list } = await bed.settle();

      for (const actual of members) {
        const predicted = report.members.find((m: { name: string }) => m.name === actual.name);
        const did = actual.exited ? 'exits' : 'starts';
        assert.equal(predicted.outcome, did, `${actual.name}: srvctl predicted "${predicted.outcome}", etcd ${did}; predicted error: ${predicted.error}\netcd log tail:\n${actual.log.split('\n').slice(-6).join('\n')}`);
        if (actual.exited) {
          assert.ok(normalize(actual.log).includes(predicted.error), `${actual.name}: etcd's log does not contain the predicted error\n  predicted: ${predicted.error}\n  log tail: ${actual.log.split('\n').slice(-4).join('\n')}`);
        }
      }

      const formed = report.cluster.formed;
      if (formed) {
        assert.ok(list, `srvctl predicted a ${formed.size}-member cluster, but no running member could list one`);
        assert.equal(list.members.length, formed.size, 'cluster size (member list) differs from the prediction');
        assert.equal(list.clusterId, formed.clusterId, 'cluster ID differs from the prediction');
        const predictedIds = report.members.find((m: { name: string }) => m.name === formed.running[0]).memberIds.map((x: { id: string }) => x.id).sort();
        assert.deepEqual(list.members.map((m) => m.id).sort(), predictedIds, 'member IDs differ from the prediction');
      } else {
        assert.equal(list, null, 'srvctl predicted that no cluster forms, but etcd listed one');
      }
      assert.equal(checked.code, report.findings.some((f: { severity: string }) => f.severity === 'error') ? 1 : report.findings.length ? 2 : 0);
    });
  }
});
