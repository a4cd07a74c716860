import { checkJson } from '../check/format.js';
import type { Paint } from '../plan/format.js';
import { planJson } from '../plan/format.js';
import type { Guard, ReconcileReport, WriteStep } from './types.js';

/**
 * The report as text and as JSON. JSON keeps every field gathered so far, whatever
 * stage stopped the run; absent stages are absent (or null when skipped on purpose).
 */
export function reportJson(r: ReconcileReport): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    cluster: r.manifest?.cluster ?? null,
    file: r.file,
    stage: r.stage,
    outcome: r.outcome,
  };
  if (r.provider) doc.provider = r.provider.type;
  if (r.plan) doc.plan = planJson(r.plan);
  if (r.verdict) {
    doc.verdict = {
      ok: r.verdict.ok,
      errors: r.verdict.errors,
      warnings: r.verdict.warnings,
      cluster: r.planned?.cluster ?? null,
      members: r.planned ? checkJson(r.planned).members : [],
    };
  }
  if (r.preflight) doc.preflight = r.preflight;
  if (r.live) doc.live = r.live;
  if (r.joining) doc.joining = r.joining;
  doc.guards = r.guards;
  doc.writes = r.writes;
  doc.applied = r.writes.some((w) => w.action === 'dns apply' && w.ok);
  if (r.verify !== undefined) doc.verify = r.verify === null ? null : verifyJsonOf(r.verify);
  if (r.prediction !== undefined) doc.prediction = r.prediction === null ? null : checkJson(r.prediction);
  if (r.configs) doc.configs = r.configs.map((d) => ({ member: d.member, format: d.format, path: null, text: d.text }));
  if (r.drift) doc.findings = r.drift;
  doc.warnings = r.warnings;
  return doc;
}

function verifyJsonOf(v: NonNullable<ReconcileReport['verify']>) {
  return {
    ok: v.ok,
    rounds: v.rounds,
    nameservers: v.nameservers,
    results: v.cells.map((c) => ({ nameserver: c.nameserver, name: c.name, type: c.type, status: c.status, got: c.got, missing: c.missing, extra: c.extra, detail: c.detail ?? null })),
  };
}

/** Stage 3's verdict in a few lines: the cluster that forms on the planned records, or what stops it. */
export function verdictText(r: ReconcileReport, paint: Paint): string {
  const v = r.verdict;
  const m = r.manifest;
  if (!v || !m || !r.planned) return '';
  const out: string[] = [];
  const formed = r.planned.cluster.formed;
  if (v.ok && formed) out.push(`Prediction on the planned records: etcd ${m.etcd.version} forms a ${formed.size}-member cluster (cluster ID ${formed.clusterId}).`);
  else out.push(paint.conflict(`Prediction on the planned records: etcd ${m.etcd.version} would not bootstrap the intended cluster.`));
  for (const f of v.errors) out.push(paint.conflict(`  ✗ ${f.message}`));
  for (const f of v.warnings) out.push(paint.change(`  ! ${f.message}`));
  return `${out.join('\n')}\n`;
}

export function preflightText(r: ReconcileReport, paint: Paint): string {
  const out: string[] = [];
  for (const c of r.preflight?.checks ?? []) out.push(paint.dim(`preflight: ${c.check}: ${c.detail}`));
  if (r.live) out.push(paint.dim(`preflight: etcd member list from ${r.live.endpoints.join(',')}${r.live.clusterId ? ` (cluster ID ${r.live.clusterId})` : ''}: ${r.live.members.map((x) => `${x.name || '(unstarted)'} ${x.id}`).join(', ') || 'no members'}`));
  for (const j of r.joining ?? []) out.push(paint.dim(`preflight: ${j.member} (state: existing) joins the running cluster ${j.clusterId}`));
  for (const g of r.guards) out.push(guardText(g, paint));
  return out.length ? `${out.join('\n')}\n` : '';
}

export function guardText(g: Guard, paint: Paint): string {
  const tag = g.effect === 'refuse' ? paint.conflict('refused') : g.effect === 'warn' ? paint.change('warning') : 'will do';
  return `${tag}: ${g.message}${g.command ? `\n    ${g.command}` : ''}`;
}

export function writeText(steps: readonly WriteStep[], paint: Paint): string {
  const out: string[] = [];
  for (const s of steps) {
    if (s.ok) out.push(...s.notes, ...(s.action === 'dns apply' ? [`Applied ${s.applied} change(s).`] : []));
    else out.push(paint.conflict(`${s.action}${s.member ? ` ${s.member}` : ''}${s.memberId ? ` (${s.memberId})` : ''} failed: ${s.error}`));
  }
  return out.length ? `${out.join('\n')}\n` : '';
}
