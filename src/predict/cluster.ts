import type { MemberPrediction } from './discovery.js';

export interface IntendedMember {
  name: string;
  /** where the others should find it: scheme://host:peerPort */
  discoveryUrl: string;
}

export interface FormedGroup {
  clusterId: string;
  /** members etcd's initial cluster lists (what `member list` will show) */
  size: number;
  quorum: number;
  /** members that start with this cluster */
  running: string[];
  /** entries no member answers for: they never start, but count against quorum */
  phantoms: string[];
  /** intended members listed but not running */
  absent: string[];
  forms: boolean;
}

export interface ClusterVerdict {
  intended: number;
  starting: string[];
  exiting: { member: string; error: string }[];
  groups: FormedGroup[];
  /** the one cluster that forms, if exactly one does */
  formed: FormedGroup | null;
  problems: string[];
}

/**
 * Members that compute the same cluster ID bootstrap one cluster; it forms when a quorum
 * of its initial members runs. A phantom entry (wrong port, stale record) counts toward
 * the size and so raises the quorum, but never runs.
 */
export function clusterVerdict(intended: readonly IntendedMember[], predictions: readonly MemberPrediction[]): ClusterVerdict {
  const starting = predictions.filter((p) => p.outcome === 'starts');
  const exiting = predictions.filter((p) => p.outcome === 'exits').map((p) => ({ member: p.member, error: p.error! }));
  const byCluster = new Map<string, MemberPrediction[]>();
  for (const p of starting) {
    const list = byCluster.get(p.clusterId!);
    if (list) list.push(p);
    else byCluster.set(p.clusterId!, [p]);
  }

  const intendedAt = new Map<string, IntendedMember>();
  for (const i of intended) if (!intendedAt.has(i.discoveryUrl)) intendedAt.set(i.discoveryUrl, i);
  const groups: FormedGroup[] = [...byCluster].map(([clusterId, members]) => {
    const cluster = members[0]!.cluster!;
    const own = new Map(members.map((p) => [p.cluster!.find((c) => c.name === p.member)!.urls.join(','), p.member]));
    const phantoms: string[] = [];
    const absent: string[] = [];
    for (const entry of cluster) {
      const key = entry.urls.join(',');
      if (own.has(key)) continue;
      const named = entry.urls.length === 1 ? intendedAt.get(entry.urls[0]!) : undefined;
      if (named) absent.push(named.name);
      else phantoms.push(key);
    }
    const size = cluster.length;
    const quorum = Math.floor(size / 2) + 1;
    return { clusterId, size, quorum, running: members.map((p) => p.member), phantoms, absent, forms: members.length >= quorum };
  });

  const forming = groups.filter((g) => g.forms);
  const formed = forming.length === 1 ? forming[0]! : null;
  const problems: string[] = [];
  if (groups.length > 1) {
    problems.push(
      `members compute ${groups.length} different cluster IDs (${groups.map((g) => `${g.clusterId}: ${g.running.join(', ')}`).join('; ')}): they will reject each other with "cluster ID mismatch"`,
    );
  }
  if (forming.length === 0 && starting.length > 0) {
    problems.push(`no cluster forms: ${groups.map((g) => `${g.running.length} of ${g.size} initial members run, quorum is ${g.quorum}`).join('; ')}; the running members wait for a leader forever`);
  }
  if (starting.length === 0) problems.push('no member starts: every member exits');
  if (formed) {
    if (formed.phantoms.length) problems.push(`the cluster has ${formed.phantoms.length} phantom member(s) that will never start: ${formed.phantoms.join(', ')}; they count toward quorum (${formed.quorum} of ${formed.size})`);
    if (formed.running.length < intended.length) {
      problems.push(
        `a ${formed.running.length}-member cluster forms where ${intended.length} were intended (missing: ${intended
          .map((i) => i.name)
          .filter((n) => !formed.running.includes(n))
          .join(', ')}); it will look healthy`,
      );
    }
  }
  return { intended: intended.length, starting: starting.map((p) => p.member), exiting, groups, formed, problems };
}
