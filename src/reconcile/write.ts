import type { Provider } from '../../providers/provider.js';
import type { EtcdClient } from '../etcd/client.js';
import { SrvctlError } from '../errors.js';
import type { Member } from '../manifest/types.js';
import { hasChanges, type Plan } from '../plan/plan.js';
import type { WriteStep } from './types.js';

/**
 * Stage 5. The join order: the DNS credential was proven in stage 4; then `member add`
 * for every joining member; then the records in one apply. If the apply fails, every
 * member added in this run is removed again (it never started, so removing it is safe)
 * and the error says so: DNS and etcd membership end as they began.
 * Records first would be the worse order: a failed `member add` would leave DNS listing
 * a member the cluster does not know, a phantom for every member bootstrapping from SRV.
 */
export async function writeAll(steps: WriteStep[], provider: Provider, plan: Plan, joins: readonly Member[], etcd: EtcdClient | undefined): Promise<void> {
  const added: WriteStep[] = [];
  for (const m of joins) {
    const step: WriteStep = { action: 'member add', ok: false, member: m.name, peerURLs: [m.advertisePeerUrl], notes: [] };
    steps.push(step);
    try {
      const live = await etcd!.memberAdd([m.advertisePeerUrl]);
      step.ok = true;
      step.memberId = live.id;
      step.notes.push(`added ${m.name} (${m.advertisePeerUrl}) to the running cluster as member ${live.id}; it must start with initial-cluster-state: existing`);
      added.push(step);
    } catch (e) {
      step.error = messageOf(e);
      await undo(steps, added, etcd);
      throw withUndo(e, `member add of ${m.name} failed`, added, steps);
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
    await undo(steps, added, etcd);
    throw withUndo(e, 'publishing the records failed', added, steps);
  }
}

async function undo(steps: WriteStep[], added: readonly WriteStep[], etcd: EtcdClient | undefined): Promise<void> {
  for (const a of [...added].reverse()) {
    const step: WriteStep = { action: 'member remove (undo)', ok: false, member: a.member, memberId: a.memberId, peerURLs: a.peerURLs, notes: [] };
    steps.push(step);
    try {
      await etcd!.memberRemove(a.memberId!);
      step.ok = true;
      step.notes.push(`removed member ${a.memberId} (${a.member}) again`);
    } catch (e) {
      step.error = messageOf(e);
    }
  }
}

function messageOf(e: unknown): string {
  return e instanceof SrvctlError ? [e.message, ...e.details].join('; ') : (e as Error).message;
}

function withUndo(e: unknown, what: string, added: readonly WriteStep[], steps: readonly WriteStep[]): SrvctlError {
  const base = e instanceof SrvctlError ? e : new SrvctlError('provider', (e as Error).message);
  if (added.length === 0) return base;
  const undos = steps.filter((s) => s.action === 'member remove (undo)');
  const lines = undos.map((u) => (u.ok ? `undone: member ${u.memberId} (${u.member}) removed again` : `NOT undone: member ${u.memberId} (${u.member}) is still in the cluster: run etcdctl member remove ${u.memberId} (${u.error})`));
  return new SrvctlError(base.code, `${base.message} (${what}; ${undos.every((u) => u.ok) ? 'the member add was undone, DNS and etcd are as they were' : 'the undo did not complete'})`, [...base.details, ...lines]);
}
