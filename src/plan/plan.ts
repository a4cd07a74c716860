import type { Rec } from '../records/record.js';

export type Action = 'create' | 'update' | 'delete';

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

export interface Plan {
  owner: string;
  zone: string;
  changes: Change[];
  conflicts: Conflict[];
  /** desired records already in place */
  unchanged: Rec[];
}

export function hasChanges(plan: Plan): boolean {
  return plan.changes.length > 0;
}

export function counts(plan: Plan): Record<Action, number> & { markers: number; conflicts: number } {
  const c = { create: 0, update: 0, delete: 0, markers: 0, conflicts: plan.conflicts.length };
  for (const ch of plan.changes) {
    if (ch.marker) c.markers++;
    else c[ch.action]++;
  }
  return c;
}
