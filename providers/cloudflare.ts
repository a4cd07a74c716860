import type CloudflareClient from 'cloudflare';
import { PartialApplyError, SrvctlError } from '../src/errors.js';
import type { Manifest } from '../src/manifest/types.js';
import { durationMs } from '../src/manifest/duration.js';
import type { Change, Plan } from '../src/plan/plan.js';
import { normalizeName } from '../src/records/name.js';
import { markerFor, parseMarker, recordDigest } from '../src/records/ownership.js';
import { canonicalIPv6, parseSrvRdata, recordKey, txtOctets, txtRdataFromOctets, type Rec } from '../src/records/record.js';
import { outOfZoneAddresses } from './ns-lookup.js';
import type { ApplyResult, Nameserver, Provider, ProviderContext, PreflightResult } from './provider.js';
import { namedSecret } from './secrets.js';
import { cloudflareBudget } from './rate-budget.js';

/* The SDK's record unions are wide; this file reads only the fields below. */
interface CfRecord {
  id: string;
  name: string;
  type: string;
  content?: string;
  data?: { priority: number; weight: number; port: number; target: string };
  ttl: number;
  proxied?: boolean;
  comment?: string | null;
}

interface BatchBody {
  deletes: { id: string }[];
  patches: (Record<string, unknown> & { id: string })[];
  posts: Record<string, unknown>[];
}

const PER_PAGE = 5000;
const DEFAULT_MAX_RATE_WAIT_MS = 6 * 60_000;
/** Cloudflare's block after too many requests, when a 429 does not say how long */
const BLOCK_MS = 5 * 60_000;
const READ_RETRIES = 3;

/**
 * Ownership on Cloudflare lives in the record's comment, not in a TXT marker beside it
 * (a Free zone holds 200 records; markers would halve what fits):
 *   srvctl:<cluster>            or, with a marker secret,   srvctl:<cluster>:<mac>
 * at most 7 + 63 + 1 + 24 = 95 characters, under the Free plan's 100. Read, a claim is
 * shown to the diff as the TXT marker it stands for; a marker the plan creates or deletes
 * becomes a comment change. A TXT marker written by an older srvctl is migrated in one
 * sync (deleted, its claim moved into the comment). Only a second owner of a shared
 * address record, whose comment is taken, gets a real TXT marker.
 */
const CLAIM_RE = /^srvctl:([a-z0-9-]+)(?::([0-9a-f]{24}))?$/;

function claimOf(r: CfRecord): { owner: string; mac?: string } | null {
  const m = CLAIM_RE.exec(r.comment ?? '');
  return m ? { owner: m[1]!, ...(m[2] ? { mac: m[2] } : {}) } : null;
}

function commentFor(marker: Rec): string {
  const m = parseMarker(marker)!;
  return `srvctl:${m.owner}${m.mac ? `:${m.mac}` : ''}`;
}

/** name, type and digest: what a marker names, and so which record a comment belongs to */
function claimKey(name: string, type: string, digest: string): string {
  return `${name}\t${type}\t${digest}`;
}

/** What a presented record stands for at Cloudflare. */
interface Held {
  cf: CfRecord;
  /** record: the record itself; claim: the ownership in its comment; txt: a real TXT marker */
  kind: 'record' | 'claim' | 'txt';
}

interface Op {
  body: { kind: 'delete'; id: string } | { kind: 'patch'; id: string; fields: Record<string, unknown> } | { kind: 'post'; fields: Record<string, unknown> };
  /** the plan changes this request carries out */
  changes: Change[];
}

export const DEFAULT_BATCH = 200;

/** A write that may or may not have happened: the caller must re-read before deciding. */
class AmbiguousWrite extends Error {}

function toRec(r: CfRecord): Rec {
  const name = normalizeName(r.name);
  let rdata: string;
  switch (r.type) {
    case 'SRV':
      rdata = r.data ? `${r.data.priority} ${r.data.weight} ${r.data.port} ${normalizeName(r.data.target)}.` : String(r.content);
      break;
    case 'TXT':
      // Written without quotes, TXT reads back quoted: one canonical form either way.
      rdata = /^".*"$/.test(r.content ?? '') ? txtRdataFromOctets(txtOctets(r.content!)) : txtRdataFromOctets([Buffer.from(r.content ?? '', 'utf8')]);
      break;
    case 'AAAA':
      rdata = canonicalIPv6(String(r.content));
      break;
    case 'CNAME':
    case 'NS':
    case 'MX':
      rdata = r.type === 'MX' ? String(r.content) : `${normalizeName(String(r.content))}.`;
      break;
    default:
      rdata = String(r.content);
  }
  return { name, type: r.type, ttl: r.ttl, rdata };
}

/** The API fields for a record srvctl writes: SRV as data, never proxied, a comment naming the owner. */
function fields(r: Rec, comment?: string): Record<string, unknown> {
  const base = { name: r.name, type: r.type, ttl: r.ttl, ...(comment !== undefined ? { comment } : {}) };
  if (r.type === 'SRV') {
    const s = parseSrvRdata(r.rdata)!;
    return { ...base, data: { priority: s.priority, weight: s.weight, port: s.port, target: s.target } };
  }
  if (r.type === 'A' || r.type === 'AAAA') return { ...base, content: r.rdata, proxied: false };
  return { ...base, content: r.rdata };
}

class CloudflareProvider implements Provider {
  readonly type = 'cloudflare';
  readonly capabilities: Provider['capabilities'];
  readonly description: string;
  /** presented recordKey → what it stands for at Cloudflare (ids for deletes and patches) */
  private held = new Map<string, Held[]>();
  /** every name read, and the records presented there (recordKey and TTL), for the re-read before each batch */
  private readNames = new Set<string>();
  private expected = new Map<string, number>();
  private readonly sleep: (ms: number) => Promise<void>;
  /** the zone was read with this token in this run */
  zoneRead = false;
  requests = 0;

  constructor(
    private readonly client: CloudflareClient,
    private readonly zoneId: string,
    private readonly zone: string,
    private readonly domain: string,
    private readonly owner: string,
    private readonly token: string,
    private readonly batchSize: number,
    private readonly nameServers: string[],
    private readonly ctx: ProviderContext,
    private readonly maxRateWaitMs: number = DEFAULT_MAX_RATE_WAIT_MS,
  ) {
    this.capabilities = { atomicApply: batchSize >= 1, comments: true, maxBatch: batchSize, minTtl: 60, preflightProvesWrite: false };
    this.description = `zone ${zone} at Cloudflare (${zoneId})`;
    this.sleep = ctx.sleep ? (ms) => ctx.sleep!(ms) : (ms) => new Promise((r) => setTimeout(r, ms));
  }

  private waitedMs = 0;

  /** Waits `ms` out of the run's rate-limit allowance, or fails with `why` when it would exceed it. */
  private async rateWait(ms: number, why: string, what: string): Promise<void> {
    if (this.waitedMs + ms > this.maxRateWaitMs) {
      throw new SrvctlError(
        'provider',
        `${why}; srvctl waits at most ${Math.round(this.maxRateWaitMs / 1000)} s in all for rate limits (provider.maxRateWait), so ${what} was not done: try again in ${Math.ceil(ms / 1000)} s`,
      );
    }
    this.ctx.debug(`${what}: ${why}; waiting ${Math.ceil(ms / 1000)} s`);
    this.waitedMs += ms;
    await this.sleep(ms);
  }

  private redact(s: string): string {
    return this.token ? s.split(this.token).join('[token]') : s;
  }

  /** One API call with srvctl's retry rules: 429 waits (bounded), reads retry 5xx/connection errors, writes never retry blindly. */
  async call<T>(what: string, write: boolean, fn: () => Promise<T>): Promise<T> {
    const { APIError, RateLimitError, APIConnectionError } = await import('cloudflare');
    for (let attempt = 0; ; attempt++) {
      const own = cloudflareBudget.delay(this.ctx.now().getTime());
      if (own > 0) await this.rateWait(own, `srvctl's own budget of 1,200 Cloudflare requests per 5 minutes is spent`, what);
      cloudflareBudget.spend(this.ctx.now().getTime());
      this.requests++;
      try {
        return await fn();
      } catch (e) {
        if (e instanceof RateLimitError) {
          // Cloudflare blocks a client for 5 minutes past its limit; retry-after says how long is left.
          const header = Number(e.headers?.get?.('retry-after'));
          const afterMs = header > 0 ? header * 1000 : BLOCK_MS;
          await this.rateWait(afterMs, `Cloudflare rate limit reached (1,200 requests per 5 minutes per user; it asked to retry after ${Math.ceil(afterMs / 1000)} s)`, what);
          continue;
        }
        const transient = e instanceof APIConnectionError || (e instanceof APIError && typeof e.status === 'number' && e.status >= 500);
        if (transient) {
          if (write) throw new AmbiguousWrite(`${what}: ${this.describe(e)}`);
          if (attempt < READ_RETRIES) {
            this.ctx.debug(`${what}: ${this.describe(e)}; retrying`);
            await this.sleep(250 * 2 ** attempt);
            continue;
          }
        }
        throw this.toSrvctl(what, e);
      }
    }
  }

  describe(e: unknown): string {
    const err = e as { status?: number; errors?: { code: number; message: string }[]; message?: string };
    const list = err.errors?.length ? err.errors.map((x) => `${x.code} ${x.message}`).join('; ') : err.status ? `HTTP ${err.status}` : err.message ?? String(e);
    return this.redact(list);
  }

  private toSrvctl(what: string, e: unknown): SrvctlError {
    const err = e as { status?: number; errors?: { code: number }[] };
    if (err.status === 403 || err.status === 401 || err.errors?.some((x) => x.code === 10000)) {
      return new SrvctlError('provider', `Cloudflare refused ${what} (${this.describe(e)}): the token needs Zone:Read and DNS:Edit on zone ${this.zone}`);
    }
    return new SrvctlError('provider', `Cloudflare: ${what} failed: ${this.describe(e)}`);
  }

  /** Every record at one filter, paging by hand so that no request is spent on an empty last page. */
  private async list(filter: Record<string, unknown>): Promise<CfRecord[]> {
    const out: CfRecord[] = [];
    for (let page = 1; ; page++) {
      const res = await this.call(`listing records (${JSON.stringify(filter)})`, false, () =>
        this.client.dns.records.list({ zone_id: this.zoneId, per_page: PER_PAGE, page, ...filter } as never),
      );
      const p = res as unknown as { result: CfRecord[]; result_info?: { total_pages?: number } };
      out.push(...p.result);
      if (p.result.length < PER_PAGE || page >= (p.result_info?.total_pages ?? page)) return out;
    }
  }

  /**
   * Only the managed names: one filtered listing for everything under the discovery
   * domain (when it lies below the apex), one exact-name listing for each other name.
   */
  async fetch(names: readonly string[]): Promise<CfRecord[]> {
    const wanted = new Set(names);
    const underDomain = this.domain !== this.zone ? names.filter((n) => n.endsWith(`.${this.domain}`)) : [];
    const rest = names.filter((n) => !underDomain.includes(n));
    const found: CfRecord[] = [];
    if (underDomain.length) found.push(...(await this.list({ name: { endswith: `.${this.domain}` } })));
    for (const n of rest) found.push(...(await this.list({ name: { exact: n } })));
    return found.filter((r) => wanted.has(normalizeName(r.name)));
  }

  /**
   * The records as the diff sees them: each API record, a TXT marker for each ownership
   * comment, and TXT markers written as records. An older srvctl's TXT marker, whose record
   * has its comment free, is shown with an empty second string: the same marker to the
   * ownership rules, a different record to the diff, which therefore plans to replace it by
   * the comment form (the one-sync migration).
   */
  private present(records: CfRecord[]): { recs: Rec[]; held: Map<string, Held[]> } {
    const recs: Rec[] = [];
    const held = new Map<string, Held[]>();
    const add = (r: Rec, h: Held) => {
      recs.push(r);
      held.set(recordKey(r), [...(held.get(recordKey(r)) ?? []), h]);
    };
    const claimed = new Map<string, CfRecord>();
    for (const cf of records) {
      const r = toRec(cf);
      if (cf.type !== 'TXT' || !parseMarker(r)) claimed.set(claimKey(r.name, r.type, recordDigest(r)), cf);
    }
    for (const cf of records) {
      const r = toRec(cf);
      const m = cf.type === 'TXT' ? parseMarker(r) : null;
      if (m) {
        const target = claimed.get(claimKey(r.name, m.type, m.digest));
        const slotOwner = target ? claimOf(target)?.owner : undefined;
        const second = slotOwner !== undefined && slotOwner !== m.owner;
        add(second ? r : { ...r, rdata: `${r.rdata} ""` }, { cf, kind: 'txt' });
        continue;
      }
      add(r, { cf, kind: 'record' });
      const claim = claimOf(cf);
      if (claim) add(markerFor(r, claim.owner, claim.mac), { cf, kind: 'claim' });
    }
    return { recs, held };
  }

  private static state(recs: readonly Rec[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of recs) out.set(`${recordKey(r)}\t${r.ttl}`, (out.get(`${recordKey(r)}\t${r.ttl}`) ?? 0) + 1);
    return out;
  }

  async read(names: readonly string[]): Promise<Rec[]> {
    const records = await this.fetch(names);
    const proxied = records.filter((r) => (r.type === 'A' || r.type === 'AAAA') && r.proxied);
    if (proxied.length) {
      throw new SrvctlError(
        'provider',
        `proxied address record(s) at managed hosts: ${proxied.map((r) => `${r.name} ${r.type} ${r.content}`).join(', ')}: etcd peers would connect to Cloudflare's edge, not to the member; make them DNS-only`,
      );
    }
    const { recs, held } = this.present(records);
    for (const [k, h] of held) this.held.set(k, [...(this.held.get(k) ?? []).filter((x) => !h.some((y) => y.cf.id === x.cf.id && y.kind === x.kind)), ...h]);
    for (const n of names) this.readNames.add(n);
    // A name read again replaces what was known of it.
    const again = new Set(names);
    for (const k of [...this.expected.keys()]) if (again.has(k.slice(0, k.indexOf('\t')))) this.expected.delete(k);
    for (const [k, n] of CloudflareProvider.state(recs)) this.expected.set(k, (this.expected.get(k) ?? 0) + n);
    this.ctx.debug(`read ${records.length} records at ${names.length} managed names`);
    return recs;
  }

  private heldOf(r: Rec, kind?: Held['kind']): Held {
    const hit = this.held.get(recordKey(r))?.find((h) => !kind || h.kind === kind);
    if (!hit) throw new SrvctlError('provider', `internal: no Cloudflare record known for ${r.name} ${r.type} ${r.rdata}; run srvctl again`);
    return hit;
  }

  /** The API requests that carry out a plan, each with the changes it makes. */
  private ops(plan: Plan): Op[] {
    const comments = new Map<string, { comment: string; change: Change }>();
    for (const c of plan.changes) {
      if (!c.marker || !c.after) continue;
      const m = parseMarker(c.after)!;
      comments.set(claimKey(c.after.name, m.type, m.digest), { comment: commentFor(c.after), change: c });
    }
    const used = new Set<Change>();
    const commentOf = (r: Rec) => {
      const hit = comments.get(claimKey(r.name, r.type, recordDigest(r)));
      if (hit) used.add(hit.change);
      return hit;
    };
    const deletes: Op[] = [];
    const patches = new Map<string, Op & { body: { kind: 'patch' } }>();
    const posts: Op[] = [];
    // The API wants a patch to name the record whole: `base` is the record as it is, for a patch that changes one field.
    const patch = (id: string, f: Record<string, unknown>, c: Change, base?: CfRecord) => {
      const p = patches.get(id);
      if (p) {
        Object.assign(p.body.fields, f);
        p.changes.push(c);
      } else patches.set(id, { body: { kind: 'patch', id, fields: { ...(base ? fields(toRec(base)) : {}), ...f } }, changes: [c] });
    };
    const deletedIds = new Set<string>();
    for (const c of plan.changes.filter((x) => !x.marker)) {
      // An adopted record stays as it is; its marker change below claims it through the comment.
      if (c.action === 'adopt') continue;
      if (c.action === 'delete') {
        const id = this.heldOf(c.before!, 'record').cf.id;
        deletedIds.add(id);
        deletes.push({ body: { kind: 'delete', id }, changes: [c] });
      } else {
        const claim = commentOf(c.after!);
        const f = fields(c.after!, claim?.comment);
        const extra = claim ? [claim.change] : [];
        if (c.action === 'update') for (const x of [c, ...extra]) patch(this.heldOf(c.before!, 'record').cf.id, f, x);
        else posts.push({ body: { kind: 'post', fields: f }, changes: [c, ...extra] });
      }
    }
    const clears = new Map<string, Change[]>();
    for (const c of plan.changes.filter((x) => x.marker)) {
      if (c.before) {
        const h = this.heldOf(c.before);
        if (h.kind === 'txt') {
          if (c.action === 'delete') deletes.push({ body: { kind: 'delete', id: h.cf.id }, changes: [c] });
          else if (!used.has(c)) patch(h.cf.id, { ttl: c.after!.ttl }, c, h.cf);
          continue;
        }
        if (c.action === 'delete') {
          if (deletedIds.has(h.cf.id)) deletes.find((d) => d.body.kind === 'delete' && d.body.id === h.cf.id)!.changes.push(c);
          else clears.set(h.cf.id, [...(clears.get(h.cf.id) ?? []), c]);
          continue;
        }
      }
      if (!c.after || used.has(c)) continue;
      // A claim on a record this plan does not write: its comment, or a TXT marker when the comment is another owner's.
      const m = parseMarker(c.after)!;
      const target = [...this.held.values()].flat().find((h) => h.kind === 'record' && normalizeName(h.cf.name) === c.after!.name && h.cf.type === m.type && recordDigest(toRec(h.cf)) === m.digest);
      const owner = target ? claimOf(target.cf)?.owner : undefined;
      if (target && (owner === undefined || owner === m.owner || clears.has(target.cf.id))) patch(target.cf.id, { comment: commentFor(c.after) }, c, target.cf);
      else if (c.before && this.heldOf(c.before).kind === 'claim') continue; // a TTL-only change of a comment claim: nothing to send
      else posts.push({ body: { kind: 'post', fields: fields(c.after) }, changes: [c] });
    }
    for (const [id, cs] of clears) {
      const p = patches.get(id);
      if (p && p.body.fields.comment !== undefined) p.changes.push(...cs);
      else for (const c of cs) patch(id, { comment: '' }, c, this.heldOf(c.before!).cf);
    }
    return [...deletes, ...patches.values(), ...posts];
  }

  private chunks(plan: Plan): { body: BatchBody; changes: Change[] }[] {
    const ops = this.ops(plan);
    const out: { body: BatchBody; changes: Change[] }[] = [];
    for (let i = 0; i < ops.length; i += this.batchSize) {
      const body: BatchBody = { deletes: [], patches: [], posts: [] };
      const changes: Change[] = [];
      for (const op of ops.slice(i, i + this.batchSize)) {
        if (op.body.kind === 'delete') body.deletes.push({ id: op.body.id });
        else if (op.body.kind === 'patch') body.patches.push({ id: op.body.id, ...op.body.fields });
        else body.posts.push(op.body.fields);
        changes.push(...op.changes);
      }
      out.push({ body, changes });
    }
    return out;
  }

  /** The managed names as Cloudflare holds them now, in the diff's terms. */
  private async current(): Promise<Map<string, number>> {
    return CloudflareProvider.state(this.present(await this.fetch([...this.readNames])).recs);
  }

  private static same(a: Map<string, number>, b: Map<string, number>): boolean {
    return a.size === b.size && [...a].every(([k, n]) => b.get(k) === n);
  }

  private static applyTo(state: Map<string, number>, changes: Change[]): Map<string, number> {
    const next = new Map(state);
    for (const c of changes) {
      if (c.before) {
        const k = `${recordKey(c.before)}\t${c.before.ttl}`;
        const n = (next.get(k) ?? 0) - 1;
        if (n > 0) next.set(k, n);
        else next.delete(k);
      }
      if (c.after) {
        const k = `${recordKey(c.after)}\t${c.after.ttl}`;
        next.set(k, (next.get(k) ?? 0) + 1);
      }
    }
    return next;
  }

  /** Did a chunk take effect? Read the managed names again. */
  private async effect(before: Map<string, number>, changes: Change[]): Promise<'applied' | 'untouched' | 'partial'> {
    const now = await this.current();
    if (CloudflareProvider.same(now, CloudflareProvider.applyTo(before, changes))) return 'applied';
    if (CloudflareProvider.same(now, before)) return 'untouched';
    return 'partial';
  }

  /**
   * Batches in order. Before each, the managed names are read again and compared with what
   * the plan was made from (plus what earlier batches did): deletes and patches go by
   * record id, so a record changed meanwhile must stop the apply rather than be clobbered.
   */
  async apply(plan: Plan): Promise<ApplyResult> {
    if (plan.changes.length === 0) return { applied: 0, notes: [] };
    const chunks = this.chunks(plan);
    let done = 0;
    let expected = this.expected;
    for (let i = 0; i < chunks.length; i++) {
      const { body, changes } = chunks[i]!;
      const label = `batch ${i + 1} of ${chunks.length} (${changes.length} changes)`;
      let now: Map<string, number>;
      try {
        now = await this.current();
      } catch (e) {
        throw this.partial(e as Error, i, chunks.length, done);
      }
      if (!CloudflareProvider.same(now, expected)) {
        throw this.partial(new Error(`records at the managed names changed at Cloudflare since the plan (before ${label})`), i, chunks.length, done);
      }
      const send = () => this.call(label, true, () => this.client.dns.records.batch({ zone_id: this.zoneId, ...body } as never));
      try {
        await send();
      } catch (e) {
        const ambiguous = e instanceof AmbiguousWrite;
        const exists = e instanceof SrvctlError && /\b8105[78]\b/.test(e.message);
        if (!ambiguous && !exists) throw this.partial(e as Error, i, chunks.length, done);
        let state: 'applied' | 'untouched' | 'partial';
        try {
          state = await this.effect(expected, changes);
        } catch (again) {
          // Not knowing whether this batch landed must not hide what the earlier ones did.
          throw this.partial(new Error(`${(e as Error).message}; reading the records again to see whether ${label} took effect failed too (${(again as Error).message}), so it may or may not have`), i, chunks.length, done);
        }
        this.ctx.debug(`${label}: ${(e as Error).message}; after re-reading, the batch is ${state}`);
        if (state === 'untouched' && ambiguous) {
          try {
            await send();
          } catch (again) {
            throw this.partial(again as Error, i, chunks.length, done);
          }
        } else if (state !== 'applied') {
          throw this.partial(e as Error, i, chunks.length, done);
        }
      }
      expected = CloudflareProvider.applyTo(expected, changes);
      done += changes.length;
    }
    this.expected = expected;
    return { applied: done, notes: [`${chunks.length} batch request(s) to Cloudflare for ${done} change(s)`] };
  }

  private partial(e: Error, index: number, total: number, done: number): SrvctlError {
    const msg = this.redact(e.message);
    if (total === 1) return new SrvctlError('provider', `${msg}; the batch is one transaction, so nothing was changed`);
    if (index === 0) return new SrvctlError('provider', `${msg}; batch 1 of ${total} is one transaction and the ones after it were not sent, so nothing was changed`);
    // Some batches may have landed: the core keeps this run's etcd changes instead of undoing them.
    return new PartialApplyError(
      `${msg}; batches 1..${index} (${done} changes) were applied and batch ${index + 1} of ${total} and later were not: DNS is between the old and the new state. Run srvctl sync again to converge`,
      [],
      index,
      total,
    );
  }

  /**
   * The token verify (the token is valid and active) and the zone read (it sees the zone).
   * A token's permissions cannot be read with the token itself: DNS:Edit is proven by the write.
   */
  async preflight(): Promise<PreflightResult> {
    const verified = (await this.call('verifying the API token', false, () => this.client.user.tokens.verify())) as { status?: string; expires_on?: string };
    if (verified.status !== 'active') throw new SrvctlError('provider', `the Cloudflare API token is ${verified.status ?? 'not active'}: create a new one with Zone:Read and DNS:Edit on zone ${this.zone}`);
    // The zone lookup of create() already read the zone with this token; a configured zoneId was not looked up.
    if (!this.zoneRead) {
      const zones = await this.call(`reading zone ${this.zone}`, false, () => this.client.zones.list({ name: this.zone, per_page: 5 } as never));
      const found = (zones as unknown as { result: { id: string; name: string }[] }).result.find((z) => normalizeName(z.name) === this.zone);
      if (!found) throw new SrvctlError('provider', `Cloudflare has no zone ${this.zone} that this token can see (the token is active but lacks Zone:Read on it)`);
      if (found.id !== this.zoneId) throw new SrvctlError('provider', `provider.zoneId ${this.zoneId} is not zone ${this.zone} (its id is ${found.id})`);
      this.zoneRead = true;
    }
    return { writeRight: false, checks: [{ check: 'API token', detail: `active${verified.expires_on ? `, expires ${verified.expires_on}` : ''}; reads zone ${this.zone}` }] };
  }

  async nameservers(): Promise<Nameserver[]> {
    if (this.nameServers.length === 0) {
      const zones = await this.call(`looking up the nameservers of ${this.zone}`, false, () => this.client.zones.list({ name: this.zone, per_page: 5 } as never));
      this.nameServers.push(...((zones as unknown as { result: { id: string; name_servers?: string[] }[] }).result.find((z) => z.id === this.zoneId)?.name_servers ?? []));
    }
    const out: Nameserver[] = [];
    for (const host of this.nameServers) {
      for (const address of await outOfZoneAddresses(this.ctx, host)) out.push({ name: host, host: address, port: 53 });
    }
    if (out.length === 0) throw new SrvctlError('provider', `cannot resolve the Cloudflare nameservers of ${this.zone} (${this.nameServers.join(', ')}): set verify.nameservers or use --no-verify`);
    return out;
  }
}

export async function create(manifest: Manifest, ctx: ProviderContext): Promise<Provider> {
  const o = manifest.provider.options;
  const tokenEnv = typeof o.tokenEnv === 'string' ? o.tokenEnv : 'CLOUDFLARE_API_TOKEN';
  // Without a token the SDK would send requests unauthenticated: stop first.
  const token = await namedSecret(ctx.env, tokenEnv, 'provider.tokenEnv', 'a Cloudflare API token with Zone:Read and DNS:Edit');
  const { default: Cloudflare } = await import('cloudflare');
  // Every option explicit: the SDK would otherwise read CLOUDFLARE_* variables by itself.
  const client = new Cloudflare({
    apiToken: token,
    apiKey: null,
    apiEmail: null,
    userServiceKey: null,
    baseURL: typeof o.baseUrl === 'string' ? o.baseUrl : 'https://api.cloudflare.com/client/v4',
    maxRetries: 0,
    timeout: Number(ctx.env.SRVCTL_HTTP_TIMEOUT_MS) > 0 ? Number(ctx.env.SRVCTL_HTTP_TIMEOUT_MS) : 30_000,
    logLevel: 'off',
  });
  const zone = manifest.provider.zone;
  const batchSize = typeof o.batchSize === 'number' ? o.batchSize : DEFAULT_BATCH;
  const maxRateWait = o.maxRateWait !== undefined ? durationMs(o.maxRateWait as string | number) : DEFAULT_MAX_RATE_WAIT_MS;
  const probe = new CloudflareProvider(client, '', zone, manifest.domain, manifest.cluster, token, batchSize, [], ctx, maxRateWait);
  let zoneId = typeof o.zoneId === 'string' ? o.zoneId : '';
  let nameServers: string[] = [];
  if (!zoneId) {
    const zones = await probe.call(`looking up zone ${zone}`, false, () => client.zones.list({ name: zone, per_page: 5 } as never));
    const found = (zones as unknown as { result: { id: string; name: string; name_servers?: string[] }[] }).result.find((z) => normalizeName(z.name) === zone);
    if (!found) throw new SrvctlError('provider', `Cloudflare has no zone ${zone} that this token can see`);
    zoneId = found.id;
    nameServers = found.name_servers ?? [];
  }
  const provider = new CloudflareProvider(client, zoneId, zone, manifest.domain, manifest.cluster, token, batchSize, nameServers, ctx, maxRateWait);
  provider.requests = probe.requests;
  provider.zoneRead = !o.zoneId;
  return provider;
}
