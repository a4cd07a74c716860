import { parseSrvRdata, recordKey, recordText, sortRecords, type Rec } from '../records/record.js';
import { classifyOwnership, coOwnable, isMarker, markerFor, parseMarker, recordDigest } from '../records/ownership.js';
import type { Change, Conflict, Plan } from './plan.js';

/**
 * One-shot take-over, never a manifest key (`sync --adopt`, `--adopt-from OWNER`).
 * adopt: unmarked records that are exactly what the manifest wants become owned.
 * adoptFrom: records marked by OWNER (a renamed cluster id) become owned.
 * "Exactly" includes the TTL: a record that differs in any field (rdata or TTL) is never
 * adopted, and the plan carries a refusal naming the field, so nothing at all is written.
 */
export interface DiffOptions {
  adopt?: boolean;
  adoptFrom?: string;
}

/** Records that are "the same record, changed" share an identity: an SRV its target, A/AAAA their name. */
function identity(r: Rec): string {
  if (r.type === 'SRV') return `${r.name}\tSRV\t${parseSrvRdata(r.rdata)?.target ?? r.rdata}`;
  if (r.type === 'A' || r.type === 'AAAA') return `${r.name}\t${r.type}`;
  return recordKey(r);
}

/**
 * desired: the records the manifest wants (no markers). actual: every record the provider
 * holds at the managed names. Only records carrying `owner`'s marker are ever changed or
 * deleted; anything else in the way is a conflict and stays as it is.
 */
export function diff(desired: readonly Rec[], actual: readonly Rec[], owner: string, zone: string, options: DiffOptions = {}): Plan {
  const { owned, otherOwners } = classifyOwnership(actual, owner);
  const adopting = !!options.adopt || options.adoptFrom !== undefined;
  const adoptable = (r: Rec) => {
    const other = otherOwners.get(r);
    return other === undefined ? !!options.adopt : other === options.adoptFrom && other !== owner;
  };
  const refusals: string[] = [];
  const adopted = new Set<Rec>();
  const ownedSet = new Set(owned);
  const ownedRecords = owned.filter((r) => !isMarker(r));
  const ownedMarkers = owned.filter((r) => isMarker(r));
  const foreign = actual.filter((r) => !ownedSet.has(r) && !isMarker(r));
  const foreignByKey = new Map(foreign.map((r) => [recordKey(r), r]));

  const changes: Change[] = [];
  const conflicts: Conflict[] = [];
  const unchanged: Rec[] = [];
  const kept: Rec[] = []; // records owned after apply, whose markers must exist

  const ownedByKey = new Map(ownedRecords.map((r) => [recordKey(r), r]));
  const ownedByIdentity = new Map<string, Rec[]>();
  for (const r of ownedRecords) ownedByIdentity.set(identity(r), [...(ownedByIdentity.get(identity(r)) ?? []), r]);
  const consumed = new Set<Rec>();
  const desiredKeys = new Set(desired.map(recordKey));

  for (const d of sortRecords(desired)) {
    const same = ownedByKey.get(recordKey(d));
    if (same) {
      consumed.add(same);
      kept.push(d);
      if (same.ttl === d.ttl) unchanged.push(same);
      else changes.push({ action: 'update', before: same, after: d, marker: false });
      continue;
    }
    const foreignSame = foreignByKey.get(recordKey(d));
    if (foreignSame && adoptable(foreignSame)) {
      adopted.add(foreignSame);
      if (foreignSame.ttl !== d.ttl) {
        refusals.push(`${recordText(foreignSame)}: TTL ${foreignSame.ttl} differs from the manifest's ${d.ttl}; srvctl adopts only a record that is exactly what the manifest wants (set its TTL to ${d.ttl}, or the manifest's ttl to ${foreignSame.ttl})`);
        continue;
      }
      changes.push({ action: 'adopt', before: foreignSame, after: foreignSame, marker: false });
      kept.push(d);
      continue;
    }
    if (foreignSame) {
      const other = otherOwners.get(foreignSame);
      if (coOwnable(foreignSame, other, owner)) {
        // A host two clusters list: add this owner's marker beside the other's, change nothing else.
        kept.push(d);
        unchanged.push(foreignSame);
        continue;
      }
      if (adopting && other) {
        refusals.push(`${recordText(foreignSame)}: marked by cluster ${other}; srvctl never adopts another owner's record${options.adoptFrom ? '' : ` (if ${other} is this cluster's old id, use --adopt-from ${other})`}`);
      }
      conflicts.push({
        record: foreignSame,
        owner: other,
        reason: other ? `wanted by ${owner} but owned by cluster ${other}` : `already present but not owned by ${owner} (no srvctl marker): left alone`,
      });
      continue;
    }
    const cname = foreign.find((r) => r.type === 'CNAME' && r.name === d.name);
    if (cname) {
      conflicts.push({ record: cname, reason: `a CNAME at ${d.name} cannot coexist with the ${d.type} record ${owner} wants there` });
      continue;
    }
    const previous = (ownedByIdentity.get(identity(d)) ?? []).find((r) => !consumed.has(r) && !desiredKeys.has(recordKey(r)));
    if (previous) {
      consumed.add(previous);
      changes.push({ action: 'update', before: previous, after: d, marker: false });
    } else {
      changes.push({ action: 'create', after: d, marker: false });
    }
    kept.push(d);
  }
  for (const r of sortRecords(ownedRecords)) {
    if (!consumed.has(r)) changes.push({ action: 'delete', before: r, marker: false });
  }

  // Adoption is all or nothing: a candidate that is "the same record, changed" (an SRV to
  // the same target, an address at the same host) or that the manifest does not want is a
  // refusal, never a silent conflict beside a new record.
  if (adopting) {
    const desiredIdentities = new Map(desired.map((d) => [identity(d), d]));
    for (const r of sortRecords(foreign)) {
      if (adopted.has(r) || !adoptable(r) || foreignByKey.get(recordKey(r)) !== r || desiredKeys.has(recordKey(r))) continue;
      const want = desiredIdentities.get(identity(r));
      const from = otherOwners.get(r) ? `marked by cluster ${otherOwners.get(r)}` : 'unmarked';
      if (want) refusals.push(`${recordText(r)} (${from}) differs from the manifest's ${recordText(want)}; srvctl adopts only a record that is exactly what the manifest wants`);
      else if (otherOwners.get(r)) refusals.push(`${recordText(r)} (${from}) is not in the manifest; take over only records the manifest wants (sync or destroy the old cluster's manifest first)`);
    }
  }

  // Foreign records in an RRset srvctl manages change what etcd computes: say so.
  const managedRRsets = new Set(desired.map((r) => `${r.name}\t${r.type}`));
  // co-owned records are no conflict; adopted ones are reported as adopt actions
  const reported = new Set([...conflicts.map((c) => c.record), ...adopted, ...unchanged]);
  for (const r of sortRecords(foreign)) {
    if (reported.has(r) || !managedRRsets.has(`${r.name}\t${r.type}`)) continue;
    const other = otherOwners.get(r);
    const why = r.type === 'SRV' ? 'etcd will read this record too' : 'resolvers may answer with this address instead';
    conflicts.push({ record: r, owner: other, reason: `${other ? `owned by cluster ${other}` : 'not owned by srvctl'}: ${why}; left alone` });
  }

  // Markers follow the records: one per record srvctl owns after the apply.
  const wantedMarkers = kept.map((r) => markerFor(r, owner));
  const markerByKey = new Map(ownedMarkers.map((m) => [recordKey(m), m]));
  const wantedKeys = new Set(wantedMarkers.map(recordKey));
  for (const m of sortRecords(wantedMarkers)) {
    const existing = markerByKey.get(recordKey(m));
    if (!existing) changes.push({ action: 'create', after: m, marker: true });
    else if (existing.ttl !== m.ttl) changes.push({ action: 'update', before: existing, after: m, marker: true });
  }
  for (const m of sortRecords(ownedMarkers)) {
    if (!wantedKeys.has(recordKey(m))) changes.push({ action: 'delete', before: m, marker: true });
  }
  // A record taken over from another owner loses that owner's marker in the same apply.
  for (const r of sortRecords([...adopted].filter((x) => otherOwners.has(x) && changes.some((c) => c.action === 'adopt' && c.before === x)))) {
    const from = otherOwners.get(r)!;
    const digest = recordDigest(r);
    for (const m of actual) {
      const mk = m.name === r.name ? parseMarker(m) : null;
      if (mk && mk.owner === from && mk.type === r.type && mk.digest === digest) changes.push({ action: 'delete', before: m, marker: true });
    }
  }

  return refusals.length ? { owner, zone, changes, conflicts, unchanged, refusals } : { owner, zone, changes, conflicts, unchanged };
}

/** What the provider holds once `plan` is applied to `actual`. */
export function applyToRecords(actual: readonly Rec[], plan: Plan): Rec[] {
  const removed = new Set(plan.changes.filter((c) => c.before).map((c) => recordKey(c.before!)));
  const kept = actual.filter((r) => !removed.has(recordKey(r)));
  return [...kept, ...plan.changes.filter((c) => c.after).map((c) => c.after!)];
}
