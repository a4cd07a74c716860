import type { Provider } from '../../providers/provider.js';
import type { EtcdClient } from '../etcd/client.js';
import { PartialApplyError, SrvctlError } from '../errors.js';
import type { Member } from '../manifest/types.js';
import { hasChanges, type Plan } from '../plan/plan.js';
import type { Move, Removal } from './guards.js';
import type { WriteStep } from './types.js';

/** The membership changes judged in stage 4, done in stage 5 before the records. */
export interface MembershipWrites {
  joins: readonly Member[];
  moves?: readonly Move[];
  removes?: readonly Removal[];
}

/**
 * Stage 5. The DNS credential was proven in stage 4; then, in this order:
 * 1. `member update` for every moved member (undoable: update back);
 * 2. `member remove` for every removed or replaced member (etcd's replace procedure removes
 *    the failed member first: adding first would raise the quorum above the started members);
 * 3. `member add` for every joining member, replacements included (undoable: it never started);
 * 4. the records, in one apply.
 * A failure undoes every update and add of this run, newest first, and says so. A remove
 * cannot be undone (a removed member's data is no longer the cluster's): the error names it,
 * and since its records are still published, the next sync deletes them.
 * Records first would be the worse order: a failed `member add` would leave DNS listing
 * a member the cluster does not know, a phantom for every member bootstrapping from SRV;
 * a moved member's old address deleted before `member update` is an address etcd still dials.
 */
export async function writeAll(steps: WriteStep[], provider: Provider, plan: Plan, w: MembershipWrites, etcd: EtcdClient | undefined): Promise<void> {
  const undoable: WriteStep[] = [];
  const removed: WriteStep[] = [];
  const fail = async (e: unknown, what: string): Promise<never> => {
    await undo(steps, undoable, etcd);
    throw withUndo(e, what, undoable, removed, steps);
  };
  for (const m of w.moves ?? []) {
    const step: WriteStep = { action: 'member update', ok: false, member: m.member, memberId: m.id, peerURLs: [m.to], previousPeerURLs: m.from, notes: [] };
    steps.push(step);
    try {
      await etcd!.memberUpdate(m.id, [m.to]);
      step.ok = true;
      step.notes.push(`updated member ${m.id} (${m.member}) from ${m.from.join(',')} to ${m.to}; restart it there with its data dir`);
      undoable.push(step);
    } catch (e) {
      step.error = messageOf(e);
      await fail(e, `member update of ${m.member} failed`);
    }
  }
  for (const r of w.removes ?? []) {
    const step: WriteStep = { action: 'member remove', ok: false, member: r.member, memberId: r.id, peerURLs: r.peerURLs, notes: [] };
    steps.push(step);
    try {
      await etcd!.memberRemove(r.id);
      step.ok = true;
      step.notes.push(`removed member ${r.id} (${r.member}, ${r.peerURLs.join(',')}) from the cluster${r.replacedBy ? `; its replacement ${r.replacedBy} is added next` : ''}`);
      removed.push(step);
    } catch (e) {
      step.error = messageOf(e);
      await fail(e, `member remove of ${r.member} failed`);
    }
  }
  for (const m of w.joins) {
    const step: WriteStep = { action: 'member add', ok: false, member: m.name, peerURLs: [m.advertisePeerUrl], notes: [] };
    steps.push(step);
    try {
      const live = await etcd!.memberAdd([m.advertisePeerUrl]);
      step.ok = true;
      step.memberId = live.id;
      step.notes.push(`added ${m.name} (${m.advertisePeerUrl}) to the running cluster as member ${live.id}; it must start with initial-cluster-state: existing`);
      undoable.push(step);
    } catch (e) {
      step.error = messageOf(e);
      await fail(e, `member add of ${m.name} failed`);
    }
  }
  if (!hasChanges(plan)) return;
  const step: WriteStep = { action: 'dns apply', ok: false, notes: [] };
  steps.push(step);
  try {
    const result = await provider.apply(plan);
    step.ok = true;
    step.applied = result.applied;
    step.notes.push(...result.notes);
  } catch (e) {
    step.error = messageOf(e);
    if (e instanceof PartialApplyError && (undoable.length || removed.length)) {
      // Part of the records are published already (addresses first, then SRV): undoing a
      // member add or update now could leave DNS naming a member etcd no longer has. Kept,
      // both sides converge on the next sync, which finds the member and writes the rest.
      const how = e.outcomeUnknown ? `the provider may have applied ${e.applied + 1} of ${e.total} update(s)` : `${e.applied} of ${e.total} of the provider's updates already took effect`;
      const kept = undoable.map((u) => `kept: ${u.action} of ${u.member} (${u.memberId}): ${how}; sync again to finish`);
      const gone = removed.map((r) => `done: member remove of ${r.member} (${r.memberId})`);
      throw new SrvctlError(e.code, `${e.message} (publishing the records failed part-way; the etcd changes of this run are kept, not undone)`, [...e.details, ...gone, ...kept]);
    }
    await fail(e, 'publishing the records failed');
  }
}

/** Undoes updates and adds, newest first: an add is removed again, an update set back. */
async function undo(steps: WriteStep[], done: readonly WriteStep[], etcd: EtcdClient | undefined): Promise<void> {
  for (const a of [...done].reverse()) {
    const update = a.action === 'member update';
    const step: WriteStep = { action: update ? 'member update (undo)' : 'member remove (undo)', ok: false, member: a.member, memberId: a.memberId, peerURLs: update ? a.previousPeerURLs : a.peerURLs, notes: [] };
    steps.push(step);
    try {
      if (update) await etcd!.memberUpdate(a.memberId!, a.previousPeerURLs!);
      else await etcd!.memberRemove(a.memberId!);
      step.ok = true;
      step.notes.push(update ? `updated member ${a.memberId} (${a.member}) back to ${a.previousPeerURLs!.join(',')}` : `removed member ${a.memberId} (${a.member}) again`);
    } catch (e) {
      step.error = messageOf(e);
    }
  }
}

function messageOf(e: unknown): string {
  return e instanceof SrvctlError ? [e.message, ...e.details].join('; ') : (e as Error).message;
}

function withUndo(e: unknown, what: string, undone: readonly WriteStep[], removed: readonly WriteStep[], steps: readonly WriteStep[]): SrvctlError {
  const base = e instanceof SrvctlError ? e : new SrvctlError('provider', (e as Error).message);
  if (undone.length === 0 && removed.length === 0) return base;
  const undos = steps.filter((s) => s.action === 'member remove (undo)' || s.action === 'member update (undo)');
  const lines = undos.map((u) =>
    u.action === 'member update (undo)'
      ? u.ok
        ? `undone: member ${u.memberId} (${u.member}) updated back to ${u.peerURLs!.join(',')}`
        : `NOT undone: member ${u.memberId} (${u.member}) still has the new peer URL: run etcdctl member update ${u.memberId} --peer-urls=${u.peerURLs!.join(',')} (${u.error})`
      : u.ok
        ? `undone: member ${u.memberId} (${u.member}) removed again`
        : `NOT undone: member ${u.memberId} (${u.member}) is still in the cluster: run etcdctl member remove ${u.memberId} (${u.error})`,
  );
  const kept = removed.map((r) => `not undoable: member ${r.memberId} (${r.member}) was removed from the cluster; its records are still published: sync again to delete them`);
  const whole = undos.every((u) => u.ok);
  const state = removed.length
    ? `${undos.length ? (whole ? 'the member update/add was undone' : 'the undo did not complete') + '; ' : ''}${removed.length} member remove(s) stay done`
    : whole
      ? `the member ${undos.some((u) => u.action === 'member update (undo)') ? (undos.some((u) => u.action === 'member remove (undo)') ? 'update and add were' : 'update was') : 'add was'} undone, DNS and etcd are as they were`
      : 'the undo did not complete';
  return new SrvctlError(base.code, `${base.message} (${what}; ${state})`, [...base.details, ...lines, ...kept]);
}
