import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMAIN, EtcdBed, etcdBinaries, type EtcdRelease, type MemberSpec } from '../support/etcdbed.js';

/**
 * srvctl check predicts, then real etcd bootstraps from the same records inside a network
 * namespace; the prediction must match what etcd did (outcome, error text, member IDs,
 * cluster ID). The same zones run on 3.4 (Debian 12's etcd-server) and 3.5 (trixie's,
 * unpacked by scripts/fetch-etcd.sh); sid's 3.5.30 runs the cases where 3.5 differs.
 * One file per release (etcd-real-*.test.ts), so the three run in separate workers; within
 * a release the cases run a few at a time, each in its own namespace with its own BIND.
 */
const NODES = ['node1', 'node2', 'node3'];
const IP: Record<string, string> = { node1: '127.0.0.11', node2: '127.0.0.12', node3: '127.0.0.13', old0: '127.0.0.10' };
/** Global (documentation-prefix) IPv6 addresses, on the namespace's loopback so they are usable destinations. */
const IP6: Record<string, string> = { node1: '2001:db8::11', node2: '2001:db8::12', node3: '2001:db8::13' };
const TOKEN = 'srvctl-proof';

interface Case {
  title: string;
  peers: 'https' | 'http';
  ssl?: (string | [string, number])[];
  plain?: (string | [string, number])[];
  noAddress?: string[];
  extraHosts?: string[];
  /** hosts that also get a global AAAA record */
  aaaa?: string[];
  /** members that advertise their IPv4 address literally instead of their host name */
  advertiseIp?: string[];
  /**
   * SRV priorities 10, 20, 30 in list order. Where 3.5 merges both lists the temp names (and
   * so the member and cluster IDs) follow the answer order; BIND rotates equal-priority
   * answers, Go sorts by priority, so distinct priorities make the run repeatable.
   */
  ordered?: boolean;
  /** where etcd 3.4 and 3.5 differ (run on sid's 3.5 too) */
  differs?: boolean;
}

const cases: Case[] = [
  { title: 'good: all three in _etcd-server-ssl', peers: 'https', ssl: NODES },
  { title: 'http-only records', peers: 'http', plain: NODES },
  { title: 'a member missing from SRV', peers: 'https', ssl: ['node1', 'node2'] },
  { title: 'a target without an A record', peers: 'https', ssl: NODES, noAddress: ['node3'] },
  { title: 'a wrong port', peers: 'https', ssl: ['node1', ['node2', 2390], 'node3'] },
  { title: 'ssl records but http peers', peers: 'http', ssl: NODES },
  { title: 'stale ssl records (an old member left behind, node3 not yet added)', peers: 'https', ssl: ['node1', 'node2', 'old0'], extraHosts: ['old0'] },
  { title: 'both record sets', peers: 'https', ssl: NODES, plain: NODES, ordered: true, differs: true },
  { title: 'both record sets, http peers', peers: 'http', ssl: NODES, plain: NODES, ordered: true, differs: true },
  { title: 'a target with A and a global AAAA, the member advertising its IPv4 address', peers: 'https', ssl: NODES, aaaa: ['node1'], advertiseIp: ['node1'], differs: true },
  { title: 'targets with A and global AAAA, members advertising their names', peers: 'https', ssl: NODES, aaaa: NODES },
];

function zoneFor(c: Case): string {
  const lines = [`$ORIGIN ${DOMAIN}.`, '$TTL 60', `@ IN SOA ns1 hostmaster 1 3600 600 604800 60`, '@ IN NS ns1', 'ns1 IN A 127.0.0.1'];
  const srv = (name: string, list: (string | [string, number])[]) => {
    list.forEach((t, i) => {
      const [host, port] = Array.isArray(t) ? t : [t, 2380];
      lines.push(`${name} IN SRV ${c.ordered ? (i + 1) * 10 : 0} 0 ${port} ${host}`);
    });
  };
  if (c.ssl) srv('_etcd-server-ssl._tcp', c.ssl);
  if (c.plain) srv('_etcd-server._tcp', c.plain);
  for (const n of [...NODES, ...(c.extraHosts ?? [])]) if (!c.noAddress?.includes(n)) lines.push(`${n} IN A ${IP[n]}`);
  for (const n of c.aaaa ?? []) lines.push(`${n} IN AAAA ${IP6[n]}`);
  return `${lines.join('\n')}\n`;
}

const advertiseOf = (c: Case, n: string) => (c.advertiseIp?.includes(n) ? IP[n]! : `${n}.${DOMAIN}`);

function manifestFor(c: Case): string {
  // A plain-http manifest cannot say 3.4 (srvctl rejects it); the version is forced with --etcd-version.
  const scheme = c.peers;
  return [
    'version: 1',
    'cluster: proof',
    `domain: ${DOMAIN}`,
    'etcd:',
    `  version: "${c.peers === 'https' ? '3.4' : '3.5'}"`,
    `  tls: ${c.peers === 'https'}`,
    `  token: ${TOKEN}`,
    'members:',
    ...NODES.map((n) => `  - {name: ${n}, host: ${n}.${DOMAIN}${c.advertiseIp?.includes(n) ? `, advertisePeerUrl: "${scheme}://${IP[n]}:2380"` : ''}}`),
    '',
  ].join('\n');
}

/** etcd's log as text: zap's JSON lines (3.5) give their msg and error fields unescaped; the resolver address masked. */
const normalize = (log: string) =>
  log
    .split('\n')
    .map((line) => {
      if (!line.startsWith('{')) return line;
      try {
        const j = JSON.parse(line) as { msg?: string; error?: string };
        return [j.msg, j.error].filter(Boolean).join(': ');
      } catch {
        return line;
      }
    })
    .join('\n')
    .replace(/ on 127\.0\.0\.1:53:/g, ' on <resolver>:');

/** How many cases of one release boot at once: each is one BIND and three etcd members. */
const AT_ONCE = 4;

/** One case, start to end, in a namespace of its own; the bed is torn down whatever happens. */
async function proveCase(c: Case, release: EtcdRelease, version: '3.4' | '3.5', tag: string): Promise<void> {
  const bed = new EtcdBed(tag, release);
  try {
    await bed.setup(Object.values(IP));
    for (const a of Object.values(IP6)) {
      const r = await bed.exec(['ip', '-6', 'addr', 'add', `${a}/128`, 'dev', 'lo', 'nodad']);
      if (r.code !== 0) throw new Error(`cannot add ${a}: ${r.stderr}`);
    }
    await bed.serveZone(zoneFor(c));
    const manifest = join(bed.dir, 'cluster.yaml');
    writeFileSync(manifest, manifestFor(c));

    const checked = await bed.srvctl(['check', DOMAIN, '--manifest', manifest, '--etcd-version', version, '--json']);
    assert.ok([0, 1, 2].includes(checked.code), checked.stderr);
    const report = JSON.parse(checked.stdout);

    const specs: MemberSpec[] = NODES.map((name) => ({ name, ip: IP[name]!, peerScheme: c.peers, advertiseHost: advertiseOf(c, name) }));
    bed.startMembers(specs, TOKEN);
    // A cluster that forms does so within a few election timeouts (1 s each); where srvctl
    // predicts none, 10 s of members staying up without one is the evidence, not 20.
    const { members, list } = await bed.settle(report.cluster.formed ? 20_000 : 10_000);

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
      // every member that runs computed its own cluster: the IDs srvctl predicted are etcd's
      for (const actual of members.filter((m) => !m.exited)) {
        const predicted = report.members.find((m: { name: string }) => m.name === actual.name);
        // zap (3.5, and 3.4 with --logger=zap) logs "cluster-id"; 3.4's capnslog "to cluster <id>"
        const logged = /"cluster-id":"([0-9a-f]+)"/.exec(actual.log)?.[1] ?? / to cluster ([0-9a-f]+)/.exec(actual.log)?.[1];
        assert.ok(logged, `${actual.name}: no cluster ID in etcd's log:\n${actual.log.split('\n').slice(-6).join('\n')}`);
        assert.equal(logged, predicted.clusterId, `${actual.name}: etcd logged cluster ID ${logged}, srvctl predicted ${predicted.clusterId}`);
      }
    }
    assert.equal(checked.code, report.findings.some((f: { severity: string }) => f.severity === 'error') ? 1 : report.findings.length ? 2 : 0);
  } finally {
    await bed.teardown();
  }
}

/** Runs tasks with at most `limit` in flight; each promise settles with its own task. */
function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T>[] {
  const results: Promise<T>[] = [];
  let running = 0;
  const waiting: (() => void)[] = [];
  for (const task of tasks) {
    results.push(
      (async () => {
        while (running >= limit) await new Promise<void>((res) => waiting.push(res));
        running++;
        try {
          return await task();
        } finally {
          running--;
          waiting.shift()?.();
        }
      })(),
    );
  }
  return results;
}

/**
 * The proof for one release: every case starts in `before` (a few at a time) and each `it`
 * awaits its own case, so the report still names each case while they overlap.
 */
export function proveRelease(release: EtcdRelease, version: '3.4' | '3.5', only: (c: Case) => boolean = () => true): void {
  describe(`srvctl check against real etcd ${release} bootstrapping from BIND (network namespaces)`, function () {
    this.timeout(180_000);
    const chosen = cases.filter(only);
    let proofs: Promise<Error | null>[] = [];
    before(() => {
      // etcdBinaries throws here (failing the file, never skipping it) when the release is missing.
      etcdBinaries(release);
      proofs = pool(
        chosen.map((c, i) => () => proveCase(c, release, version, `p${release.replace(/\W/g, '')}c${i}`).then(() => null, (e: Error) => e)),
        AT_ONCE,
      );
    });
    after(async () => {
      await Promise.all(proofs);
    });
    chosen.forEach((c, i) => {
      it(c.title, async () => {
        const failed = await proofs[i]!;
        if (failed) throw failed;
      });
    });
  });
}
