import { peerKey, type LiveMember } from '../drift/membership.js';
import type { Manifest, Member } from '../manifest/types.js';
import type { Plan } from '../plan/plan.js';
import { srvName } from '../records/desired.js';
import { parseSrvRdata } from '../records/record.js';
import type { Guard } from './types.js';

/** What the operator asked srvctl to do itself (one-shot flags, never manifest keys). */
export interface MembershipOptions {
  /** `sync --move-members`: member update for a running member whose host or peer port changes */
  moveMembers?: boolean;
  /** `sync --remove-members`: member remove for a running member that left the manifest */
  removeMembers?: boolean;
  /** `sync --replace-members`: remove a member that does not answer and add its replacement (same name, new peer URL, state: existing) */
  replaceMembers?: boolean;
  /** hex IDs of old members (replace candidates) whose client URLs answered: they still run */
  answering?: ReadonlySet<string>;
  /**
   * hex IDs of the members whose client URLs were asked (see membersToProbe): one of them
   * not in `answering` is down, and holds no vote quorum can count on. A member not asked
   * counts as started when it has a name, as the member list says.
   */
  probed?: ReadonlySet<string>;
}

/** A member whose peer URL changes in place: `member update`, then the records. */
export interface Move {
  member: string;
  id: string;
  from: string[];
  to: string;
}

/** A member srvctl removes from the cluster before its records are deleted. */
export interface Removal {
  member: string;
  id: string;
  peerURLs: string[];
  /** the member a replacement takes over (its name stays, it joins anew) */
  replacedBy?: string;
}

export interface MembershipJudgment {
  guards: Guard[];
  joins: Member[];
  moves: Move[];
  removes: Removal[];
}

/**
 * Old members a manifest member replaces: the same name, another peer URL, and the new one
 * marked `state: existing` (it joins with an empty data dir). The caller asks each one's
 * client URLs whether it still runs before judging (a running member is moved, not replaced).
 */
export function replaceCandidates(manifest: Manifest, live: readonly LiveMember[]): LiveMember[] {
  const byPeer = new Set(manifest.members.map((m) => peerKey(m.advertisePeerUrl)));
  return live.filter((l) => l.name && !l.peerURLs.map(peerKey).some((k) => byPeer.has(k)) && manifest.members.some((m) => m.name === l.name && m.state === 'existing'));
}

/**
 * The members whose client URLs the caller asks before judging: the replace candidates, and,
 * when this run may remove members, every started voting member. etcd's strict
 * reconfiguration refuses a remove that leaves too few members it can reach, so a crashed
 * member must not count toward quorum here either: with two of several removals done, etcd
 * refusing the third would leave the cluster and DNS half changed. A member without client
 * URLs cannot be asked and keeps the member list's word.
 */
export function membersToProbe(manifest: Manifest, live: readonly LiveMember[], opts: MembershipOptions): LiveMember[] {
  const asked = new Map(replaceCandidates(manifest, live).map((l) => [l.id, l]));
  if (opts.removeMembers || opts.replaceMembers) {
    for (const l of live) if (l.name && !l.isLearner && l.clientURLs.length > 0) asked.set(l.id, l);
  }
  return [...asked.values()];
}

/**
 * The live guards of SPEC v1.1: the manifest against the running cluster's member list.
 * Pure: the caller read the list (and probed replace candidates). A guard that refuses names
 * the etcdctl command to run by hand; one that acts is done by srvctl in stage 5, after
 * every judgment. Removals (explicit or by a replacement) never leave the cluster below quorum.
 */
export function judgeMembership(manifest: Manifest, live: readonly LiveMember[], opts: MembershipOptions = {}): MembershipJudgment {
  const guards: Guard[] = [];
  const moves: Move[] = [];
  const removes: Removal[] = [];
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
    // A replacement (the old member leaves, the new one of the same name joins below) only
    // when asked for: a member stopped to carry its data dir to a new host does not answer
    // either, and removing it would orphan that data. --move-members reads it as a move.
    if (sameName && sameName.state === 'existing' && !opts.replaceMembers && !opts.moveMembers) {
      matched.add(sameName);
      guards.push({
        code: 'replace-unasked',
        effect: 'refuse',
        member: sameName.name,
        memberId: l.id,
        message: `${sameName.name} is marked existing at ${sameName.advertisePeerUrl} while the cluster has member ${l.id} (${l.peerURLs.join(',')}) of that name: pass --replace-members to replace it (member remove, then member add, then its records; its data is not kept), or --move-members to move it with its data dir (member update)`,
        command: `etcdctl member remove ${l.id} && etcdctl member add ${sameName.name} --peer-urls=${sameName.advertisePeerUrl}`,
      });
      continue;
    }
    if (sameName && sameName.state === 'existing' && opts.replaceMembers) {
      if (opts.answering?.has(l.id)) {
        matched.add(sameName);
        guards.push({
          code: 'replace-running',
          effect: 'refuse',
          member: sameName.name,
          memberId: l.id,
          message: `${sameName.name} is marked existing at ${sameName.advertisePeerUrl}, which replaces member ${l.id} (${l.peerURLs.join(',')}); that member still answers on ${l.clientURLs.join(',')}: stop it first to replace it, or drop state: existing and sync --move-members to move it with its data`,
          command: `etcdctl member remove ${l.id}`,
        });
        continue;
      }
      removes.push({ member: l.name, id: l.id, peerURLs: l.peerURLs, replacedBy: sameName.advertisePeerUrl });
      guards.push({
        code: 'replace',
        effect: 'act',
        member: l.name,
        memberId: l.id,
        message: `${l.name} is replaced: member remove ${l.id} (${l.peerURLs.join(',')}, not answering), then member add ${sameName.advertisePeerUrl}, then its records`,
      });
      continue;
    }
    if (sameName) {
      matched.add(sameName);
      const command = `etcdctl member update ${l.id} --peer-urls=${sameName.advertisePeerUrl}`;
      if (opts.moveMembers) {
        moves.push({ member: sameName.name, id: l.id, from: l.peerURLs, to: sameName.advertisePeerUrl });
        guards.push({
          code: 'move',
          effect: 'act',
          member: sameName.name,
          memberId: l.id,
          message: `running member ${l.name} (${l.id}) moves from ${l.peerURLs.join(',')} to ${sameName.advertisePeerUrl}: member update first, then its records; restart it there with its data dir`,
          command,
        });
      } else {
        guards.push({
          code: 'peer-url-change',
          effect: 'refuse',
          member: sameName.name,
          memberId: l.id,
          message: `running member ${l.name} (${l.id}) has peer URL ${l.peerURLs.join(',')}, the manifest moves it to ${sameName.advertisePeerUrl}: changing its records first would leave etcd dialing an address DNS no longer holds. Pass --move-members (srvctl runs member update, then the records), or update the member by hand first, then sync`,
          command,
        });
      }
      continue;
    }
    const label = l.name || `(unstarted ${l.id})`;
    if (opts.removeMembers) {
      removes.push({ member: label, id: l.id, peerURLs: l.peerURLs });
      guards.push({ code: 'remove', effect: 'act', member: label, memberId: l.id, message: `${label} (${l.id}, ${l.peerURLs.join(',')}) left the manifest: member remove, then its records are deleted`, command: `etcdctl member remove ${l.id}` });
      continue;
    }
    guards.push({
      code: l.name ? 'running-member-missing' : 'unstarted-member',
      effect: 'refuse',
      member: label,
      memberId: l.id,
      message: l.name
        ? `running member ${l.name} (${l.id}, ${l.peerURLs.join(',')}) is not in the manifest: deleting its records while it runs would break its peers' view. Pass --remove-members (srvctl runs member remove, never below quorum), or remove it by hand first, or add it back to the manifest`
        : `member ${l.id} (${l.peerURLs.join(',')}) was added to the cluster but never started and is not in the manifest: it counts against quorum. Pass --remove-members, or remove it by hand first`,
      command: `etcdctl member remove ${l.id}`,
    });
  }
  const joins: Member[] = [];
  for (const m of manifest.members) {
    if (matched.has(m) || m.state !== 'existing') continue;
    joins.push(m);
    guards.push({ code: 'join', effect: 'act', member: m.name, message: `${m.name} (${m.advertisePeerUrl}) is marked existing and the cluster lacks it: member add before its records are published; it must start with initial-cluster-state existing` });
  }
  // Unstarted members and learners leave first: they hold no vote that quorum needs, so when
  // the end state has quorum every state on the way there has it too (started members are
  // removed last, one at a time, each step one started member and one member fewer).
  const started = new Map(live.map((l) => [l.id, runs(l, opts) && !l.isLearner]));
  removes.sort((a, b) => Number(started.get(a.id)) - Number(started.get(b.id)));
  const quorum = quorumGuard(live, removes, joins.length, opts);
  if (quorum) guards.push(quorum);
  const restart = movesGuard(live, moves, removes, joins.length);
  if (restart) guards.push(restart);
  return { guards, joins, moves, removes };
}

/**
 * A moved member is out of reach from its `member update` until it restarts at its new
 * address: said beforehand when the others alone are no majority (the cluster stops
 * accepting writes until the moved members are back). A warning: it heals on restart.
 */
function movesGuard(live: readonly LiveMember[], moves: readonly Move[], removes: readonly Removal[], joining: number): Guard | undefined {
  if (moves.length === 0) return undefined;
  const gone = new Set(removes.map((r) => r.id));
  const remaining = live.filter((l) => !gone.has(l.id) && !l.isLearner);
  // members joining in the same run vote as soon as they are added, and run only once started
  const voting = remaining.length + joining;
  const moving = new Set(moves.map((m) => m.id));
  const reachable = remaining.filter((l) => l.name && !moving.has(l.id)).length;
  const needed = Math.floor(voting / 2) + 1;
  if (reachable >= needed) return undefined;
  const label = moves.map((m) => `${m.member} (${m.id})`).join(', ');
  return {
    code: 'move-quorum',
    effect: 'warn',
    member: label,
    message: `moving ${label}${joining ? ` while ${joining} member(s) join` : ''} leaves ${reachable} of ${voting} voting member(s) reachable until the moved ones restart at their new addresses${joining ? ' and the joining ones start' : ''} (quorum ${needed}): the cluster accepts no writes meanwhile; move one member at a time, apart from joins, to avoid it`,
  };
}

/**
 * Removing members must leave a cluster that still has quorum: of the voting members that
 * remain (learners do not vote), plus the members this run adds (they count as soon as they
 * are added, before they start), the started ones (named in the list) must be a majority.
 * An unstarted member counts toward the size and never votes. etcd's own check (strict
 * reconfiguration) also counts members it cannot reach; this one is judged before any write.
 */
function quorumGuard(live: readonly LiveMember[], removes: readonly Removal[], adding: number, opts: MembershipOptions): Guard | undefined {
  if (removes.length === 0) return undefined;
  const gone = new Set(removes.map((r) => r.id));
  const remaining = live.filter((l) => !gone.has(l.id) && !l.isLearner);
  const size = remaining.length + adding;
  const started = remaining.filter((l) => runs(l, opts)).length;
  const needed = Math.floor(size / 2) + 1;
  const label = removes.map((r) => `${r.member} (${r.id})`).join(', ');
  if (remaining.length === 0) {
    return { code: 'quorum', effect: 'refuse', member: label, message: `removing ${label} would leave no voting member: a cluster cannot remove its last member (destroy decommissions it)` };
  }
  if (started >= needed) return undefined;
  const unstarted = remaining.filter((l) => !l.name).map((l) => l.id);
  const down = remaining.filter((l) => l.name && !runs(l, opts)).map((l) => `${l.name} (${l.id})`);
  return {
    code: 'quorum',
    effect: 'refuse',
    member: label,
    message: `removing ${label} would leave ${started} started of ${size} voting member(s)${unstarted.length ? ` (never started: ${unstarted.join(', ')})` : ''}${down.length ? ` (not answering on their client URLs: ${down.join(', ')})` : ''}${adding ? ` (${adding} joining)` : ''}: quorum is ${needed}, the cluster would stop accepting writes. ${down.length ? 'Bring the members that do not answer back (or check that this machine can reach their client URLs), ' : ''}Start or remove the unstarted members first, or remove fewer at once`,
  };
}

/** Whether a live member can vote now: started (named) and, if it was asked, answering. */
function runs(l: LiveMember, opts: MembershipOptions): boolean {
  return !!l.name && (!opts.probed?.has(l.id) || !!opts.answering?.has(l.id));
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
        ? `the member at ${target} moves to ${to}: its old records are deleted; if it runs, run etcdctl member update <id> --peer-urls=${to} first (with --etcd-endpoints srvctl checks this, and sync --move-members does it)`
        : `the member at ${target} leaves DNS: if it runs, run etcdctl member remove <id> first (with --etcd-endpoints srvctl checks this, and sync --remove-members does it)`,
    });
  }
  return guards;
}
