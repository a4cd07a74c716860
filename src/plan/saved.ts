import { createHash } from 'node:crypto';
import { SrvctlError } from '../errors.js';
import type { Manifest } from '../manifest/types.js';
import { rec, recordText, type Rec } from '../records/record.js';
import type { DiffOptions } from './diff.js';
import type { Action, Change, Plan } from './plan.js';

/**
 * Saved plans (`plan --out PLAN.json`, `sync --plan PLAN.json`), in the spirit of Terraform's
 * plan files and octoDNS's plan checksum: the plan, the records it was made from and two
 * digests. A later apply re-reads the provider and refuses on any difference, naming it.
 *
 * - read digest: sha256 over the names read and every record's zone-file line, sorted
 *   (TTL included: a TTL change is a change);
 * - manifest digest: sha256 over the interpreted manifest as canonical JSON (sorted keys,
 *   without the file's own path), so a comment or a reordering does not invalidate a plan
 *   but any change of meaning does. The manifest holds no secrets, only where they live;
 * - plan digest: sha256 over the changes, so a hand-edited or truncated file is refused.
 */
export const SAVED_PLAN_FORMAT = 'srvctl-plan/1';

export type PlanKind = 'sync' | 'destroy';

interface SavedRecord {
  name: string;
  type: string;
  ttl: number;
  rdata: string;
}

interface SavedChange {
  action: Action;
  marker: boolean;
  before: SavedRecord | null;
  after: SavedRecord | null;
}

export interface SavedPlan {
  format: typeof SAVED_PLAN_FORMAT;
  kind: PlanKind;
  createdAt: string;
  cluster: string;
  zone: string;
  provider: string;
  options: DiffOptions;
  manifest: { digest: string };
  read: { digest: string; names: string[]; records: SavedRecord[] };
  plan: { digest: string; changes: SavedChange[] };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted at every depth: one text per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function manifestDigest(m: Manifest): string {
  const { file: _file, ...meaning } = m;
  return sha256(canonicalJson(meaning));
}

function readLines(names: readonly string[], records: readonly Rec[]): string[] {
  return [...[...new Set(names)].sort().map((n) => `; name ${n}`), ...records.map(recordText).sort()];
}

export function readDigest(names: readonly string[], records: readonly Rec[]): string {
  return sha256(readLines(names, records).join('\n'));
}

const plain = (r: Rec | undefined): SavedRecord | null => (r ? { name: r.name, type: r.type, ttl: r.ttl, rdata: r.rdata } : null);

function savedChanges(plan: Plan): SavedChange[] {
  return plan.changes.map((c) => ({ action: c.action, marker: c.marker, before: plain(c.before), after: plain(c.after) }));
}

export function planDigest(changes: readonly SavedChange[]): string {
  return sha256(canonicalJson(changes));
}

/** What a plan is made of, at saving and again at applying: the same fields, read twice. */
export interface PlanState {
  kind: PlanKind;
  manifest: Manifest;
  provider: string;
  names: readonly string[];
  actual: readonly Rec[];
  plan: Plan;
}

export interface SaveInput extends PlanState {
  options?: DiffOptions;
  now: Date;
}

/** A plan with refusals cannot be saved: it could never be applied. */
export function savePlan(input: SaveInput): SavedPlan {
  if (input.plan.refusals?.length) throw new SrvctlError('provider', 'this plan is refused, so it is not saved', input.plan.refusals);
  const changes = savedChanges(input.plan);
  return {
    format: SAVED_PLAN_FORMAT,
    kind: input.kind,
    createdAt: input.now.toISOString(),
    cluster: input.manifest.cluster,
    zone: input.plan.zone,
    provider: input.provider,
    options: { ...(input.options?.adopt ? { adopt: true } : {}), ...(input.options?.adoptFrom ? { adoptFrom: input.options.adoptFrom } : {}) },
    manifest: { digest: manifestDigest(input.manifest) },
    read: { digest: readDigest(input.names, input.actual), names: [...new Set(input.names)].sort(), records: input.actual.map((r) => plain(r)!).sort((a, b) => (recordText(a) < recordText(b) ? -1 : 1)) },
    plan: { digest: planDigest(changes), changes },
  };
}

const isRecord = (r: unknown): r is SavedRecord =>
  !!r && typeof r === 'object' && typeof (r as SavedRecord).name === 'string' && typeof (r as SavedRecord).type === 'string' && Number.isInteger((r as SavedRecord).ttl) && typeof (r as SavedRecord).rdata === 'string';

/** Parses a plan file; anything that is not an intact srvctl plan is invalid input (exit 65). */
export function parseSavedPlan(file: string, text: string): SavedPlan {
  const bad = (why: string) => new SrvctlError('manifest', `${file}: not a usable srvctl plan file: ${why}`);
  let doc: SavedPlan;
  try {
    doc = JSON.parse(text) as SavedPlan;
  } catch (e) {
    throw bad(`invalid JSON (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || doc.format !== SAVED_PLAN_FORMAT) throw bad(`format is not "${SAVED_PLAN_FORMAT}"`);
  if (doc.kind !== 'sync' && doc.kind !== 'destroy') throw bad('kind must be "sync" or "destroy"');
  if (typeof doc.cluster !== 'string' || typeof doc.zone !== 'string' || typeof doc.provider !== 'string') throw bad('cluster, zone or provider missing');
  if (typeof doc.manifest?.digest !== 'string' || typeof doc.read?.digest !== 'string' || typeof doc.plan?.digest !== 'string') throw bad('a digest is missing');
  if (!Array.isArray(doc.read.names) || !doc.read.names.every((n) => typeof n === 'string') || !Array.isArray(doc.read.records) || !doc.read.records.every(isRecord)) throw bad('read.names or read.records malformed');
  const actions = ['create', 'update', 'delete', 'adopt'];
  if (!Array.isArray(doc.plan.changes) || !doc.plan.changes.every((c) => actions.includes(c.action) && typeof c.marker === 'boolean' && (c.before === null || isRecord(c.before)) && (c.after === null || isRecord(c.after)))) {
    throw bad('plan.changes malformed');
  }
  if (planDigest(doc.plan.changes) !== doc.plan.digest) throw bad('the changes do not match their digest (edited or truncated)');
  const records = doc.read.records.map((r) => rec(r.name, r.type, r.ttl, r.rdata));
  if (readDigest(doc.read.names, records) !== doc.read.digest) throw bad('the records read do not match their digest (edited or truncated)');
  return doc;
}

/** The state read again at apply time; its plan is computed now, from the fresh read, with the saved plan's options. */
export type FreshState = PlanState;

/**
 * The plan to apply: the fresh one, once it is proven identical to the saved one. Refuses
 * (exit 1, nothing written) on another manifest, cluster, provider or kind, on any record
 * that appeared, vanished or changed at the provider since, and on a plan this srvctl
 * would compute differently; every reason is named.
 */
export function verifySavedPlan(saved: SavedPlan, fresh: FreshState): Plan {
  const reasons: string[] = [];
  if (saved.kind !== fresh.kind) reasons.push(`the plan is for ${saved.kind}, not ${fresh.kind}`);
  if (saved.cluster !== fresh.manifest.cluster) reasons.push(`the plan is for cluster ${saved.cluster}, the manifest is cluster ${fresh.manifest.cluster}`);
  if (saved.provider !== fresh.provider) reasons.push(`the plan was made against provider ${saved.provider}, the manifest now uses ${fresh.provider}`);
  if (saved.zone !== fresh.plan.zone) reasons.push(`the plan is for zone ${saved.zone}, the manifest's is ${fresh.plan.zone}`);
  if (saved.manifest.digest !== manifestDigest(fresh.manifest)) reasons.push('the manifest changed since the plan was made (or the plan is for another manifest)');
  if (saved.read.digest !== readDigest(fresh.names, fresh.actual)) {
    const before = new Set(readLines(saved.read.names, saved.read.records.map((r) => rec(r.name, r.type, r.ttl, r.rdata))));
    const now = new Set(readLines(fresh.names, fresh.actual));
    const gone = [...before].filter((l) => !now.has(l));
    const added = [...now].filter((l) => !before.has(l));
    reasons.push(
      `the provider changed since the plan was made: ${[...gone.map((l) => `- ${l.replace(/^; name /, 'no longer read: ')}`), ...added.map((l) => `+ ${l.replace(/^; name /, 'now also read: ')}`)].join('; ')}`,
    );
  }
  if (reasons.length === 0 && planDigest(savedChanges(fresh.plan)) !== saved.plan.digest) {
    reasons.push('this srvctl computes a different plan from the same manifest and records (another srvctl version, or other --adopt flags)');
  }
  if (reasons.length) throw new SrvctlError('provider', 'the saved plan no longer applies: nothing written; make a new plan', reasons);
  return fresh.plan;
}

/** Rebuilds the saved plan as a Plan, for printing it as it was saved. */
export function savedAsPlan(saved: SavedPlan): Plan {
  const r = (x: SavedRecord | null) => (x ? rec(x.name, x.type, x.ttl, x.rdata) : undefined);
  const changes: Change[] = saved.plan.changes.map((c) => ({ action: c.action, ...(c.before ? { before: r(c.before) } : {}), ...(c.after ? { after: r(c.after) } : {}), marker: c.marker }));
  return { owner: saved.cluster, zone: saved.zone, changes, conflicts: [], unchanged: [] };
}
