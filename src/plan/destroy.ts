import { classifyOwnership, isMarker } from '../records/ownership.js';
import { sortRecords, type Rec } from '../records/record.js';
import type { Change, Conflict, Plan } from './plan.js';

/**
 * `srvctl destroy`: every record `owner` owns at the names read, and every marker of that
 * owner (orphans included), deleted; nothing else. Records go before their markers, so a
 * provider that applies in order and stops half-way leaves records still marked, and a
 * second run finishes the job instead of leaving them foreign forever.
 * With nothing owned the plan carries a refusal: destroying nothing is almost always the
 * wrong manifest, the wrong zone or records that were never srvctl's.
 */
export function destroyPlan(actual: readonly Rec[], owner: string, zone: string, domain: string): Plan {
  const { owned, otherOwners } = classifyOwnership(actual, owner);
  const ownedSet = new Set(owned);
  const changes: Change[] = [
    ...sortRecords(owned.filter((r) => !isMarker(r))).map((r): Change => ({ action: 'delete', before: r, marker: false })),
    ...sortRecords(owned.filter((r) => isMarker(r))).map((r): Change => ({ action: 'delete', before: r, marker: true })),
  ];
  const conflicts: Conflict[] = sortRecords(actual.filter((r) => !ownedSet.has(r) && !isMarker(r))).map((r) => {
    const other = otherOwners.get(r);
    return { record: r, owner: other, reason: `${other ? `owned by cluster ${other}` : 'not owned by srvctl'}: left alone` };
  });
  const plan: Plan = { owner, zone, changes, conflicts, unchanged: [] };
  if (owned.length === 0) {
    plan.refusals = [
      `nothing to destroy: no record at the names srvctl manages for ${domain} in zone ${zone} carries cluster ${owner}'s ownership marker (wrong manifest or zone, or records srvctl never owned: those it leaves alone)`,
    ];
  }
  return plan;
}
