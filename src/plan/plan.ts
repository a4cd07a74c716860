import type { Rec } from '../records/record.js';
import type { LimitBreach } from './limits.js';

/**
 * `adopt`: a foreign record that is exactly what the manifest wants becomes owned; only its
 * marker is written. It carries the record as both `before` and `after`, so a provider that
 * applies before/after pairs keeps it in place (one atomic replace, compare-and-swap
 * protected, never a window without it) and `applyToRecords` leaves it as it is.
 */
export type Action = 'create' | 'update' | 'delete' | 'adopt';

export interface Change {
  action: Action;
  before?: Rec;
  after?: Rec;
  /** an ownership marker rather than a record etcd reads */
  marker: boolean;
}

export interface Conflict {
  record: Rec;
  /** the srvctl cluster that owns it, if any */
  owner?: string;
  reason: string;
}

/**
 * A record the provider holds at a managed name but does not serve (a PowerDNS record with
 * `disabled: true`): foreign (no marker counts for a record DNS does not answer), never
 * changed or deleted, kept exactly as it is by every apply — except when the plan adds that
 * very record (srvctl's own, disabled by hand): then the apply serves it. Shown so the
 * operator sees everything an RRset holds besides what DNS answers. Providers that have no
 * such notion leave the list empty.
 */
export interface NotServed {
  record: Rec;
  /** why it is not served, as the provider puts it (e.g. "disabled at PowerDNS") */
  reason: string;
}

export interface Plan {
  owner: string;
  zone: string;
  changes: Change[];
  conflicts: Conflict[];
  /** desired records already in place */
  unchanged: Rec[];
  /**
   * Reasons this plan must not be applied at all (adoption that cannot be done exactly,
   * destroy with nothing owned): the caller refuses with exit 1 and writes nothing.
   */
  refusals?: string[];
  /** records held but not served at the names read (see NotServed); absent or [] when none */
  notServed?: NotServed[];
  /** the limits of DNS or the provider this plan is over (src/plan/limits.ts): it is refused, nothing written */
  limits?: LimitBreach[];
}

export function hasChanges(plan: Plan): boolean {
  return plan.changes.length > 0;
}

export function counts(plan: Plan): Record<Action, number> & { markers: number; conflicts: number } {
  const c = { create: 0, update: 0, delete: 0, adopt: 0, markers: 0, conflicts: plan.conflicts.length };
  for (const ch of plan.changes) {
    if (ch.marker) c.markers++;
    else c[ch.action]++;
  }
  return c;
}
