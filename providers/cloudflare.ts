import { lookup } from 'node:dns/promises';
import type CloudflareClient from 'cloudflare';
import { SrvctlError } from '../src/errors.js';
import type { Manifest } from '../src/manifest/types.js';
import type { Change, Plan } from '../src/plan/plan.js';
import { normalizeName } from '../src/records/name.js';
import { canonicalIPv6, parseSrvRdata, parseTxtRdata, recordKey, txtRdata, type Rec } from '../src/records/record.js';
import type { ApplyResult, Nameserver, Provider, ProviderContext, PreflightResult } from './provider.js';
import { namedSecret } from './secrets.js';

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
const MAX_RATE_WAIT_S = 60;
const READ_RETRIES = 3;

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
      rdata = txtRdata(/^".*"$/.test(r.content ?? '') ? parseTxtRdata(r.content!) : [r.content ?? '']);
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
function fields(r: Rec, comment: string): Record<string, unknown> {
  const base = { name: r.name, type: r.type, ttl: r.ttl, comment };
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
  /** recordKey → the API records holding it (ids for deletes and patches) */
  private ids = new Map<string, CfRecord[]>();
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
  ) {
    this.capabilities = { atomicApply: batchSize >= 1, comments: true, maxBatch: batchSize, minTtl: 60, preflightProvesWrite: false };
    this.description = `zone ${zone} at Cloudflare (${zoneId})`;
  }

  private redact(s: string): string {
    return this.token ? s.split(this.token).join('[token]') : s;
  }

  /** One API call with srvctl's retry rules: 429 waits (bounded), reads retry 5xx/connection errors, writes never retry blindly. */
  async call<T>(what: string, write: boolean, fn: () => Promise<T>): Promise<T> {
    const { APIError, RateLimitError, APIConnectionError } = await import('cloudflare');
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      this.requests++;
      try {
        return await fn();
      } catch (e) {
        if (e instanceof RateLimitError) {
          const after = Math.max(1, Number(e.headers?.get?.('retry-after') ?? 1) || 1);
          if (waited + after > MAX_RATE_WAIT_S) {
            throw new SrvctlError('provider', `Cloudflare rate limit reached (1,200 requests per 5 minutes per user; it asked to retry after ${after} s): ${what} was not done; try again later`);
          }
          this.ctx.debug(`${what}: rate limited, waiting ${after} s as Cloudflare asks`);
          waited += after;
          await new Promise((r) => setTimeout(r, after * 1000));
          continue;
        }
        const transient = e instanceof APIConnectionError || (e instanceof APIError && typeof e.status === 'number' && e.status >= 500);
        if (transient) {
          if (write) throw new AmbiguousWrite(`${what}: ${this.describe(e)}`);
          if (attempt < READ_RETRIES) {
            this.ctx.debug(`${what}: ${this.describe(e)}; retrying`);
            await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
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

  async read(names: readonly string[]): Promise<Rec[]> {
    const records = await this.fetch(names);
    const proxied = records.filter((r) => (r.type === 'A' || r.type === 'AAAA') && r.proxied);
    if (proxied.length) {
      throw new SrvctlError(
        'provider',
        `proxied address record(s) at managed hosts: ${proxied.map((r) => `${r.name} ${r.type} ${r.content}`).join(', ')}: etcd peers would connect to Cloudflare's edge, not to the member; make them DNS-only`,
      );
    }
    for (const r of records) {
      const k = recordKey(toRec(r));
      this.ids.set(k, [...(this.ids.get(k) ?? []).filter((x) => x.id !== r.id), r]);
    }
    this.ctx.debug(`read ${records.length} records at ${names.length} managed names`);
    return records.map(toRec);
  }

  private idOf(r: Rec): string {
    const hit = this.ids.get(recordKey(r))?.[0];
    if (!hit) throw new SrvctlError('provider', `internal: no Cloudflare id known for ${r.name} ${r.type} ${r.rdata}; run srvctl again`);
    return hit.id;
  }

  private chunks(plan: Plan): { body: BatchBody; changes: Change[] }[] {
    const comment = `srvctl: owned by cluster ${this.owner}`;
    const ordered = [...plan.changes.filter((c) => c.action === 'delete'), ...plan.changes.filter((c) => c.action === 'update'), ...plan.changes.filter((c) => c.action === 'create')];
    const out: { body: BatchBody; changes: Change[] }[] = [];
    for (let i = 0; i < ordered.length; i += this.batchSize) {
      const part = ordered.slice(i, i + this.batchSize);
      const body: BatchBody = { deletes: [], patches: [], posts: [] };
      for (const c of part) {
        if (c.action === 'delete') body.deletes.push({ id: this.idOf(c.before!) });
        else if (c.action === 'update') body.patches.push({ id: this.idOf(c.before!), ...fields(c.after!, comment) });
        else body.posts.push(fields(c.after!, comment));
      }
      out.push({ body, changes: part });
    }
    return out;
  }

  /** Did a chunk take effect? Read the names it touches again. */
  private async effect(changes: Change[]): Promise<'applied' | 'untouched' | 'partial'> {
    const names = [...new Set(changes.flatMap((c) => [c.before?.name, c.after?.name]).filter((n): n is string => !!n))];
    const now = new Set((await this.fetch(names)).map((r) => recordKey(toRec(r))));
    const after = changes.map((c) => (c.after ? now.has(recordKey(c.after)) : !now.has(recordKey(c.before!))));
    const before = changes.map((c) => (c.before ? now.has(recordKey(c.before)) && (!c.after || recordKey(c.before) === recordKey(c.after) || !now.has(recordKey(c.after))) : !now.has(recordKey(c.after!))));
    if (after.every(Boolean)) return 'applied';
    if (before.every(Boolean)) return 'untouched';
    return 'partial';
  }

  async apply(plan: Plan): Promise<ApplyResult> {
    if (plan.changes.length === 0) return { applied: 0, notes: [] };
    const chunks = this.chunks(plan);
    let done = 0;
    const notes: string[] = [];
    for (let i = 0; i < chunks.length; i++) {
      const { body, changes } = chunks[i]!;
      const label = `batch ${i + 1} of ${chunks.length} (${changes.length} changes)`;
      const send = () => this.call(label, true, () => this.client.dns.records.batch({ zone_id: this.zoneId, ...body } as never));
      try {
        await send();
      } catch (e) {
        const ambiguous = e instanceof AmbiguousWrite;
        const exists = e instanceof SrvctlError && /\b8105[78]\b/.test(e.message);
        if (!ambiguous && !exists) throw this.partial(e as Error, i, chunks.length, done);
        const state = await this.effect(changes);
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
      done += changes.length;
      notes.push(`${label} applied`);
    }
    return { applied: done, notes: [`${chunks.length} batch request(s) to Cloudflare for ${done} change(s)`] };
  }

  private partial(e: Error, index: number, total: number, done: number): SrvctlError {
    const msg = this.redact(e.message);
    if (total === 1) return new SrvctlError('provider', `${msg}; the batch is one transaction, so nothing was changed`);
    return new SrvctlError(
      'provider',
      `${msg}; batches 1..${index} (${done} changes) were applied and batch ${index + 1} of ${total} and later were not: DNS is between the old and the new state. Run srvctl sync again to converge`,
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
      for (const a of await lookup(host, { all: true }).catch(() => [])) out.push({ name: host, host: a.address, port: 53 });
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
  const probe = new CloudflareProvider(client, '', zone, manifest.domain, manifest.cluster, token, batchSize, [], ctx);
  let zoneId = typeof o.zoneId === 'string' ? o.zoneId : '';
  let nameServers: string[] = [];
  if (!zoneId) {
    const zones = await probe.call(`looking up zone ${zone}`, false, () => client.zones.list({ name: zone, per_page: 5 } as never));
    const found = (zones as unknown as { result: { id: string; name: string; name_servers?: string[] }[] }).result.find((z) => normalizeName(z.name) === zone);
    if (!found) throw new SrvctlError('provider', `Cloudflare has no zone ${zone} that this token can see`);
    zoneId = found.id;
    nameServers = found.name_servers ?? [];
  }
  const provider = new CloudflareProvider(client, zoneId, zone, manifest.domain, manifest.cluster, token, batchSize, nameServers, ctx);
  provider.requests = probe.requests;
  provider.zoneRead = !o.zoneId;
  return provider;
}
