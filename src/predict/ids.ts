import { createHash } from 'node:crypto';

/**
 * etcd's member and cluster IDs (membership.NewMember / RaftCluster.genID): members that
 * compute different IDs for each other never agree on one cluster.
 */
// Every member of an n-member prediction hashes the same n entries: n² SHA-1s without a
// cache (500 members: 250,000). Bounded, so a long drift run does not grow it forever.
const memberIds = new Map<string, bigint>();
const MAX_CACHED = 100_000;

export function memberId(peerUrls: readonly string[], token: string): bigint {
  const b = [...peerUrls].sort().join('') + token;
  let id = memberIds.get(b);
  if (id === undefined) {
    id = createHash('sha1').update(b).digest().readBigUInt64BE(0);
    if (memberIds.size >= MAX_CACHED) memberIds.clear();
    memberIds.set(b, id);
  }
  return id;
}

export function clusterId(memberIds: readonly bigint[]): bigint {
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const b = Buffer.alloc(8 * sorted.length);
  sorted.forEach((id, i) => b.writeBigUInt64BE(id, 8 * i));
  return createHash('sha1').update(b).digest().readBigUInt64BE(0);
}

/** The way etcdctl prints IDs: lower-case hex without padding. */
export function hexId(id: bigint): string {
  return id.toString(16);
}
