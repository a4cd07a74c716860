import { peerKey, type LiveMember } from '../drift/membership.js';
import type { EtcdClient } from '../etcd/client.js';
import { isSrvctlError } from '../errors.js';
import type { Manifest } from '../manifest/types.js';
import type { Guard } from './types.js';

/**
 * Stage 4 of `destroy`: members that still run keep dialling their peers, and clients keep
 * discovering them, through the records about to be deleted. With endpoints, a member of
 * this cluster in the live list refuses (a warning with --force). No endpoint answering
 * with "connection refused" means nothing listens there: the cluster is down, which is
 * the expected state before a destroy. Any other failure (timeout, TLS, HTTP error) cannot
 * tell, and refuses like a running member would.
 */
export async function judgeDestroy(manifest: Manifest, endpoints: readonly string[], etcd: EtcdClient | undefined, force: boolean): Promise<{ guards: Guard[]; members?: LiveMember[] }> {
  const effect = force ? 'warn' : 'refuse';
  if (!etcd) {
    return {
      guards: [
        {
          code: 'destroy-unverified',
          effect: 'warn',
          member: '',
          message: 'no etcd endpoints (--etcd-endpoints or etcd.endpoints): srvctl cannot tell whether members of this cluster still run; deleting their records breaks every member and client that discovers through SRV',
        },
      ],
    };
  }
  let members: LiveMember[];
  try {
    members = await etcd.memberList();
  } catch (e) {
    const lines = isSrvctlError(e) ? e.details : [(e as Error).message];
    if (lines.length > 0 && lines.every((l) => /connection refused/.test(l))) return { guards: [] };
    return {
      guards: [
        {
          code: 'destroy-unverified',
          effect,
          member: '',
          message: `cannot tell whether members of this cluster still run (${lines.join('; ') || (e as Error).message})${force ? '; --force: deleting anyway' : ''}`,
          command: `etcdctl --endpoints=${endpoints.join(',')} member list    # must fail with "connection refused", or pass --force`,
        },
      ],
    };
  }
  const ours = new Set(manifest.members.map((m) => peerKey(m.advertisePeerUrl)));
  const guards: Guard[] = members
    .filter((l) => l.peerURLs.some((u) => ours.has(peerKey(u))) || manifest.members.some((m) => m.name === l.name))
    .map((l) => ({
      code: 'destroy-running' as const,
      effect,
      member: l.name,
      memberId: l.id,
      message: `member ${l.name || '(unstarted)'} (${l.id}, ${l.peerURLs.join(',')}) still runs${force ? '; --force: its records are deleted anyway' : ': stop the cluster before deleting its records'}`,
      command: `etcdctl --endpoints=${endpoints.join(',')} member list    # stop etcd on every member listed, then destroy again (or --force)`,
    }));
  return { guards, members };
}
