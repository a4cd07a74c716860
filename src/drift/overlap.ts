import type { Manifest } from '../manifest/types.js';
import { desiredRecords } from '../records/desired.js';

/**
 * Two manifests that claim the same SRV name merge their member lists in every resolver:
 * each cluster's members would read the other's records (the phantom-member and
 * cluster-ID-mismatch failures). Two members on one host:port (peer or client) cannot
 * both listen. A pure function over loaded manifests, for `drift` over a directory.
 */
export interface Overlap {
  kind: 'srv-name' | 'host-port';
  /** the SRV name, or host:port */
  key: string;
  claims: { file: string; cluster: string; what: string }[];
  message: string;
}

export function findOverlaps(manifests: readonly Manifest[]): Overlap[] {
  const srv = new Map<string, Overlap['claims']>();
  const ports = new Map<string, Overlap['claims']>();
  const claim = (map: Map<string, Overlap['claims']>, key: string, c: Overlap['claims'][number]) => {
    const list = map.get(key) ?? [];
    // one claim per manifest and key: a manifest's own duplicates are its semantic checks' business
    if (!list.some((x) => x.file === c.file && x.cluster === c.cluster)) list.push(c);
    map.set(key, list);
  };
  for (const m of manifests) {
    for (const name of new Set(desiredRecords(m).filter((r) => r.type === 'SRV').map((r) => r.name))) {
      claim(srv, name, { file: m.file, cluster: m.cluster, what: 'SRV' });
    }
    for (const member of m.members) {
      claim(ports, `${member.host}:${member.peerPort}`, { file: m.file, cluster: m.cluster, what: `member ${member.name} peer port` });
      claim(ports, `${member.host}:${member.clientPort}`, { file: m.file, cluster: m.cluster, what: `member ${member.name} client port` });
    }
  }
  const out: Overlap[] = [];
  // Only keys claimed twice are sorted: over 1,000 manifests that is none of some 8,000.
  const shared = (map: Map<string, Overlap['claims']>) => [...map].filter(([, claims]) => claims.length > 1).sort(([a], [b]) => a.localeCompare(b));
  for (const [key, claims] of shared(srv)) {
    out.push({ kind: 'srv-name', key, claims, message: `${key} is claimed by ${describe(claims)}: their members would read each other's records and the clusters merge or refuse each other` });
  }
  for (const [key, claims] of shared(ports)) {
    out.push({ kind: 'host-port', key, claims, message: `${key} is used by ${claims.map((c) => `${c.what} of cluster ${c.cluster} (${c.file})`).join(' and ')}: two etcd members cannot listen on one address` });
  }
  return out;
}

function describe(claims: Overlap['claims']): string {
  return claims.map((c) => `cluster ${c.cluster} (${c.file})`).join(' and ');
}
