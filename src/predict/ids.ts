import { createHash } from 'node:crypto';

/**
 * etcd's member and cluster IDs (membership.NewMember / RaftCluster.genID): members that
 * compute different IDs for each other never agree on one cluster.
 */
export function memberId(peerUrls: readonly string[], token: string): bigint {
  const b = [...peerUrls].sort().join('') + token;
  return createHash('sha1').update(b).digest().readBigUInt64BE(0);
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
