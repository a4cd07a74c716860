/**
 * Three-way comparison of who the members are: the manifest, the SRV records DNS serves,
 * and the member list of the running cluster. Peers are matched by host:port of their
 * peer URL (the SRV target and port), case-insensitively.
 */
export interface LiveMember {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  /** a non-voting learner (etcd 3.4+): it does not count toward quorum */
  isLearner?: boolean;
}

export interface MembershipFinding {
  member: string;
  kind: 'etcd-not-dns' | 'dns-not-etcd' | 'manifest-only' | 'unstarted';
  message: string;
}

/** host:port of a peer URL, lower case: how a member and an SRV target are matched. */
export function peerKey(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname.toLowerCase().replace(/\.$/, '')}:${u.port}`;
  } catch {
    return url.toLowerCase();
  }
}

export function compareMembership(
  manifest: readonly { name: string; host: string; peerPort: number }[],
  srvTargets: readonly { target: string; port: number }[],
  live: readonly LiveMember[],
): MembershipFinding[] {
  const dns = new Set(srvTargets.map((t) => `${t.target.toLowerCase()}:${t.port}`));
  const inEtcd = new Map<string, LiveMember>();
  for (const m of live) for (const u of m.peerURLs) inEtcd.set(peerKey(u), m);
  const findings: MembershipFinding[] = [];
  for (const m of live) {
    const keys = m.peerURLs.map(peerKey);
    const label = m.name || `(unstarted ${m.id})`;
    if (!m.name) findings.push({ member: label, kind: 'unstarted', message: `etcd member ${m.id} (${m.peerURLs.join(',')}) was added but never started` });
    if (!keys.some((k) => dns.has(k))) findings.push({ member: label, kind: 'etcd-not-dns', message: `member ${label} (${m.peerURLs.join(',')}) is in the cluster but not in DNS: new members discovering through SRV will not see it` });
  }
  for (const key of dns) {
    if (!inEtcd.has(key)) findings.push({ member: key, kind: 'dns-not-etcd', message: `SRV target ${key} is in DNS but no cluster member has that peer URL: a member bootstrapping now would count a phantom` });
  }
  for (const m of manifest) {
    const key = `${m.host}:${m.peerPort}`;
    if (!dns.has(key) && !inEtcd.has(key)) findings.push({ member: m.name, kind: 'manifest-only', message: `manifest member ${m.name} (${key}) is neither in DNS nor in the cluster` });
  }
  return findings;
}
