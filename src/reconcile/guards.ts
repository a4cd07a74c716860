import { peerKey, type LiveMember } from '../drift/membership.js';
import type { Manifest, Member } from '../manifest/types.js';
import type { Plan } from '../plan/plan.js';
import { srvName } from '../records/desired.js';
import { parseSrvRdata } from '../records/record.js';
import type { Guard } from './types.js';

/**
 * The live guards of SPEC v1.1: the manifest against the running cluster's member list.
 * Pure: the caller read the list. A guard that refuses names the etcdctl command to run.
 */
export function judgeMembership(manifest: Manifest, live: readonly LiveMember[]): { guards: Guard[]; joins: Member[] } {
  const guards: Guard[] = [];
  const byName = new Map(manifest.members.map((m) => [m.name, m]));
  const byPeer = new Map(manifest.members.map((m) => [peerKey(m.advertisePeerUrl), m]));
  const matched = new Set<Member>();
  for (const l of live) {
    const keys = l.peerURLs.map(peerKey);
    const samePeer = keys.map((k) => byPeer.get(k)).find((m): m is Member => !!m);
    const sameName = l.name ? byName.get(l.name) : undefined;
    if (samePeer) {
      matched.add(samePeer);
      continue;
    }
    if (sameName) {
      matched.add(sameName);
      guards.push({
        code: 'peer-url-change',
        effect: 'refuse',
        member: sameName.name,
        memberId: l.id,
        message: `running member ${l.name} (${l.id}) has peer URL ${l.peerURLs.join(',')}, the manifest moves it to ${sameName.advertisePeerUrl}: changing its records first would leave etcd dialing an address DNS no longer holds. Update the member first, then sync`,
        command: `etcdctl member update ${l.id} --peer-urls=${sameName.advertisePeerUrl}`,
      });
      continue;
    }
    const label = l.name || `(unstarted ${l.id})`;
    guards.push({
      code: l.name ? 'running-member-missing' : 'unstarted-member',
      effect: 'refuse',
      member: label,
      memberId: l.id,
      message: l.name
        ? `running member ${l.name} (${l.id}, ${l.peerURLs.join(',')}) is not in the manifest: deleting its records while it runs would break its peers' view. Remove it from the cluster first, or add it back to the manifest`
        : `member ${l.id} (${l.peerURLs.join(',')}) was added to the cluster but never started and is not in the manifest: it counts against quorum. Remove it first`,
      command: `etcdctl member remove ${l.id}`,
    });
  }
  const joins: Member[] = [];
  for (const m of manifest.members) {
    if (matched.has(m) || m.state !== 'existing') continue;
    joins.push(m);
    guards.push({ code: 'join', effect: 'act', member: m.name, message: `${m.name} (${m.advertisePeerUrl}) is marked existing and the cluster lacks it: member add before its records are published; it must start with initial-cluster-state existing` });
  }
  return { guards, joins };
}

/**
 * Without endpoints srvctl cannot tell whether a member runs: a plan that changes or
 * deletes the server SRV record of a member, or marks one existing, says what to do by hand.
 */
export function judgeWithoutEndpoints(manifest: Manifest, plan: Plan): Guard[] {
  const guards: Guard[] = [];
  for (const m of manifest.members.filter((x) => x.state === 'existing')) {
    guards.push({
      code: 'existing-without-endpoints',
      effect: 'warn',
      member: m.name,
      message: `${m.name} is marked existing: add it to the running cluster (etcdctl member add ${m.name} --peer-urls=${m.advertisePeerUrl}) before it starts, or pass --etcd-endpoints (or set etcd.endpoints) and srvctl does it`,
      command: `etcdctl member add ${m.name} --peer-urls=${m.advertisePeerUrl}`,
    });
  }
  const serverName = srvName('server', manifest.etcd.tls, manifest.etcd.serviceName, manifest.domain);
  for (const c of plan.changes) {
    if (c.marker || !c.before || c.before.type !== 'SRV' || c.before.name !== serverName) continue;
    const was = parseSrvRdata(c.before.rdata);
    const now = c.after ? parseSrvRdata(c.after.rdata) : null;
    if (!was || (now && now.target === was.target && now.port === was.port)) continue;
    const scheme = manifest.etcd.tls ? 'https' : 'http';
    const target = `${scheme}://${was.target}:${was.port}`;
    // A deleted target whose first label names a member that now has another host: that member moves.
    const moved = !now ? manifest.members.find((m) => m.name === was.target.split('.')[0] && m.host !== was.target) : undefined;
    const to = now ? `${scheme}://${now.target}:${now.port}` : moved ? moved.advertisePeerUrl : null;
    guards.push({
      code: 'member-change-unverified',
      effect: 'warn',
      member: moved?.name ?? was.target,
      message: to
        ? `the member at ${target} moves to ${to}: its old records are deleted; if it runs, run etcdctl member update <id> --peer-urls=${to} first (srvctl checks this with --etcd-endpoints)`
        : `the member at ${target} leaves DNS: if it runs, run etcdctl member remove <id> first (srvctl checks this with --etcd-endpoints)`,
    });
  }
  return guards;
}
