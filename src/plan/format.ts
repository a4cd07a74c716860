import { recordText, type Rec } from '../records/record.js';
import { counts, type NotServed, type Plan } from './plan.js';

export interface Paint {
  add(s: string): string;
  change(s: string): string;
  remove(s: string): string;
  conflict(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const plainPaint: Paint = { add: (s) => s, change: (s) => s, remove: (s) => s, conflict: (s) => s, dim: (s) => s, bold: (s) => s };

/**
 * `terraform plan` style: one line per change, the record in zone-file form. Adoption is
 * `=` (the record stays exactly as it is and becomes owned); refusals end the plan.
 */
export function planText(plan: Plan, paint: Paint, opts: { showMarkers: boolean }): string {
  const lines: string[] = [];
  for (const c of plan.changes) {
    if (c.marker && !opts.showMarkers) continue;
    const tag = c.marker ? paint.dim('  (ownership marker)') : '';
    if (c.action === 'adopt') lines.push(paint.add(`  = ${recordText(c.after!)}`) + paint.dim(`   (adopt: kept as it is, now owned by ${plan.owner})`) + tag);
    else if (c.action === 'create') lines.push(paint.add(`  + ${recordText(c.after!)}`) + tag);
    else if (c.action === 'delete') lines.push(paint.remove(`  - ${recordText(c.before!)}`) + tag);
    else lines.push(paint.change(`  ~ ${recordText(c.after!)}`) + paint.dim(`   (was: ${changedPart(c.before!, c.after!)})`) + tag);
  }
  for (const k of plan.conflicts) {
    lines.push(paint.conflict(`  ! ${recordText(k.record)}`) + paint.dim(`   (${k.reason})`));
  }
  // Foreign and not served: what an RRset holds besides what DNS answers, so a rewrite of it hides nothing.
  for (const h of plan.notServed ?? []) {
    const note = servedByPlan(plan, h) ? '; the manifest wants it: this plan enables it' : `; kept as it is${inRewrittenRRset(plan, h) ? ', in an RRset this plan rewrites' : ''}`;
    lines.push(paint.dim(`  · ${recordText(h.record)}   (${h.reason}${note})`));
  }
  const n = counts(plan);
  const summary =
    n.create + n.update + n.delete + n.adopt + n.markers === 0
      ? 'No changes. The provider holds the records the manifest wants.'
      : `Plan: ${n.create} to create, ${n.update} to update, ${n.delete} to delete` + (n.adopt ? `, ${n.adopt} to adopt` : '') + (n.markers ? `, plus ${n.markers} ownership marker change(s)` : '') + '.';
  const conflictLine = n.conflicts ? `\n${paint.conflict(`${n.conflicts} conflict(s): records srvctl does not own, left alone.`)}` : '';
  const held = plan.notServed?.length ? `\n${paint.dim(`${plan.notServed.length} record(s) held but not served (·).`)}` : '';
  const refused = plan.refusals?.length ? `\n${paint.conflict(`Refused (nothing will be written):\n${plan.refusals.map((r) => `  ✗ ${r}`).join('\n')}`)}` : '';
  return `${lines.join('\n')}${lines.length ? '\n\n' : ''}${paint.bold(summary)}${conflictLine}${held}${refused}\n`;
}

/** Whether the plan changes the RRset (name and type) a not-served record sits in. */
function inRewrittenRRset(plan: Plan, h: NotServed): boolean {
  return plan.changes.some((c) => [c.before, c.after].some((r) => r && r.name === h.record.name && r.type === h.record.type));
}

/** Whether the plan adds this very record (name, type, rdata): the provider then serves it instead of holding it disabled. */
function servedByPlan(plan: Plan, h: NotServed): boolean {
  return plan.changes.some((c) => c.after && c.after.name === h.record.name && c.after.type === h.record.type && c.after.rdata === h.record.rdata);
}

function changedPart(before: Rec, after: Rec): string {
  if (before.rdata === after.rdata) return `ttl ${before.ttl}`;
  return before.ttl === after.ttl ? before.rdata : `${before.ttl} ${before.rdata}`;
}

export interface JsonRecord {
  name: string;
  type: string;
  ttl: number;
  rdata: string;
}

function jr(r: Rec | undefined): JsonRecord | null {
  return r ? { name: r.name, type: r.type, ttl: r.ttl, rdata: r.rdata } : null;
}

export function planJson(plan: Plan) {
  const n = counts(plan);
  return {
    cluster: plan.owner,
    zone: plan.zone,
    inSync: plan.changes.length === 0,
    summary: { create: n.create, update: n.update, delete: n.delete, adopt: n.adopt, markers: n.markers, conflicts: n.conflicts, unchanged: plan.unchanged.length, notServed: plan.notServed?.length ?? 0 },
    changes: plan.changes.map((c) => ({ action: c.action, marker: c.marker, before: jr(c.before), after: jr(c.after) })),
    conflicts: plan.conflicts.map((k) => ({ record: jr(k.record), owner: k.owner ?? null, reason: k.reason })),
    /** records held but not served (PowerDNS disabled records): kept as they are unless the plan adds the same record (servedByPlan); [] on providers without them */
    notServed: (plan.notServed ?? []).map((h) => ({ record: jr(h.record), reason: h.reason, inRewrittenRRset: inRewrittenRRset(plan, h), servedByPlan: servedByPlan(plan, h) })),
    /** why the plan must not be applied (adoption not exact, destroy with nothing owned); [] when it may */
    refusals: plan.refusals ?? [],
    ...(plan.limits ? { limits: plan.limits } : {}),
  };
}
