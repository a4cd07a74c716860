import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Authority } from '../../../src/dns/authority.js';
import { startServer, type RunningServer } from '../../../src/dns/server.js';
import { normalizeName } from '../../../src/records/name.js';
import { canonicalIPv6, parseTxtRdata, txtRdata, type Rec } from '../../../src/records/record.js';
import { Contract } from './contract.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

export interface FakeRecord {
  id: string;
  zone_id: string;
  name: string;
  type: string;
  content: string;
  data?: { priority: number; weight: number; port: number; target: string };
  proxied: boolean;
  proxiable: boolean;
  ttl: number;
  comment: string | null;
  tags: string[];
  settings: Json;
  meta: Json;
  created_on: string;
  modified_on: string;
}

export type Fault = '429' | '500' | 'timeout' | 'drop';
export interface Injection {
  /** fault the n-th request (1-based) or every request matching */
  at?: number;
  when?: (method: string, path: string) => boolean;
  fault: Fault;
  retryAfter?: number;
  /** for 500 on a write: apply the write first, then fail (an ambiguous failure) */
  afterApply?: boolean;
  times?: number;
}

const id32 = () => randomBytes(16).toString('hex');
const now = () => new Date().toISOString();

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: { code: number; message: string }[],
  ) {
    super(errors.map((e) => e.message).join('; '));
  }
}

/** Cloudflare's DNS records API as srvctl uses it, in memory, checked against the official schema. */
export class FakeCloudflare {
  readonly contract = Contract.shared();
  readonly violations: string[] = [];
  readonly requests: { method: string; path: string; query: string; body?: Json }[] = [];
  readonly zones: { id: string; name: string; name_servers: string[] }[] = [];
  records: FakeRecord[] = [];
  /** token → what it may do */
  tokens = new Map<string, 'edit' | 'read'>();
  injections: Injection[] = [];
  /** records a zone may hold (a Free zone created since September 2024: 200) */
  recordQuota?: number;
  /** comment length the plan allows (Free: 100) */
  commentLimit = 100;
  /**
   * Cloudflare's global limit: more than `limit` requests in `windowMs` blocks the client
   * for `blockMs` (every request 429 with retry-after), on the given clock.
   */
  rateLimit?: { limit: number; windowMs: number; blockMs: number; clock: () => number };
  blockedUntil = 0;
  private readonly recent: number[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private dns?: RunningServer;
  port = 0;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/client/v4`;
  }

  addZone(name: string): string {
    const id = id32();
    this.zones.push({ id, name, name_servers: ['ns1.example-dns.invalid', 'ns2.example-dns.invalid'] });
    return id;
  }

  /** A record put there by someone else (the dashboard, another tool). */
  seed(zoneId: string, r: { name: string; type: string; content?: string; data?: FakeRecord['data']; ttl?: number; proxied?: boolean; comment?: string | null }): FakeRecord {
    const rec = this.build(zoneId, { ...r, ttl: r.ttl ?? 300 });
    this.records.push(rec);
    return rec;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Serves the zone's records over DNS, as Cloudflare's nameservers would, on loopback. */
  async serveDns(zoneName: string): Promise<number> {
    this.dns = await startServer(this.authority(zoneName), { host: '127.0.0.1', port: 0 });
    return this.dns.port;
  }

  private authority(zoneName: string): Authority {
    const zone = this.zones.find((z) => z.name === zoneName)!;
    const recs: Rec[] = [
      { name: zoneName, type: 'SOA', ttl: 300, rdata: `ns1.example-dns.invalid. dns.cloudflare.com. ${this.records.length + 1} 10000 2400 604800 300` },
      ...this.records.filter((r) => r.zone_id === zone.id).map((r) => ({ name: r.name, type: r.type, ttl: r.ttl === 1 ? 300 : r.ttl, rdata: this.rdata(r) })),
    ];
    return new Authority(zoneName, recs);
  }

  private rdata(r: FakeRecord): string {
    if (r.type === 'SRV') return `${r.data!.priority} ${r.data!.weight} ${r.data!.port} ${normalizeName(r.data!.target)}.`;
    if (r.type === 'TXT') return txtRdata(parseTxtRdata(r.content));
    if (r.type === 'AAAA') return canonicalIPv6(r.content);
    if (r.type === 'CNAME') return `${normalizeName(r.content)}.`;
    return r.content;
  }

  async stop(): Promise<void> {
    await this.dns?.close();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  writes(): number {
    return this.requests.filter((r) => r.method !== 'GET').length;
  }

  private send(res: ServerResponse, o: { method: string; template: string; op: Json } | null, status: number, body: Json, headers: Record<string, string> = {}): void {
    try {
      if (o) for (const v of this.contract.validateResponse(o, status, body)) this.violations.push(`${o.method} ${o.template} → ${v}`);
    } catch (e) {
      this.violations.push(`${o?.method} ${o?.template}: the contract check itself failed: ${(e as Error).message}`);
    }
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private fail(errors: { code: number; message: string }[]): Json {
    return { success: false, errors, messages: [], result: null };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    let body: Json;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      this.violations.push(`${req.method} ${url.pathname}: body is not JSON`);
    }
    const path = url.pathname.replace(/^\/client\/v4/, '');
    this.requests.push({ method: req.method!, path, query: url.search, body });
    const n = this.requests.length;

    if (this.rateLimit) {
      const t = this.rateLimit.clock();
      while (this.recent.length && this.recent[0]! <= t - this.rateLimit.windowMs) this.recent.shift();
      if (t < this.blockedUntil || this.recent.length >= this.rateLimit.limit) {
        if (t >= this.blockedUntil) this.blockedUntil = t + this.rateLimit.blockMs;
        this.send(res, this.contract.match(req.method!, path), 429, this.fail([{ code: 10000, message: 'Rate limited. Please wait and consider throttling your request speed' }]), { 'retry-after': String(Math.ceil((this.blockedUntil - t) / 1000)) });
        return;
      }
      this.recent.push(t);
    }

    const injection = this.injections.find((i) => (i.at === undefined || i.at === n) && (!i.when || i.when(req.method!, path)) && (i.times ?? 1) > 0);
    if (injection) {
      injection.times = (injection.times ?? 1) - 1;
      if (injection.fault === 'drop') {
        req.socket.destroy();
        return;
      }
      if (injection.fault === 'timeout') return; // never answer; the client's timeout decides
      if (injection.fault === '429') {
        this.send(res, this.contract.match(req.method!, path), 429, this.fail([{ code: 10000, message: 'Rate limited. Please wait and consider throttling your request speed' }]), { 'retry-after': String(injection.retryAfter ?? 1) });
        return;
      }
      if (injection.fault === '500' && !injection.afterApply) {
        this.send(res, this.contract.match(req.method!, path), 500, this.fail([{ code: 10001, message: 'Internal server error' }]));
        return;
      }
    }

    const o = this.contract.match(req.method!, path);
    if (!o) {
      this.violations.push(`${req.method} ${path}: no such operation in the API`);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.fail([{ code: 7003, message: 'No route for the URI' }])));
      return;
    }
    const problems = this.contract.validateRequest(o, url.searchParams, body);
    for (const p of problems) this.violations.push(`${o.method} ${o.template}: ${p}`);
    try {
      const auth = req.headers.authorization;
      if (!auth?.startsWith('Bearer ')) throw new ApiError(400, [{ code: 6003, message: 'Invalid request headers' }]);
      const power = this.tokens.get(auth.slice(7));
      if (!power) throw new ApiError(403, [{ code: 10000, message: 'Authentication error' }]);
      if (problems.length) throw new ApiError(400, [{ code: 1004, message: `DNS Validation Error: ${problems[0]}` }]);
      if (o.method !== 'GET' && power !== 'edit') throw new ApiError(403, [{ code: 10000, message: 'Authentication error' }]);
      const result = this.route(o.method, o.template, o.params, url.searchParams, body, auth.slice(7));
      if (injection?.fault === '500') {
        this.send(res, o, 500, this.fail([{ code: 10001, message: 'Internal server error' }]));
        return;
      }
      this.send(res, o, 200, result);
    } catch (e) {
      if (e instanceof ApiError) this.send(res, o, e.status, this.fail(e.errors));
      else this.send(res, o, 500, this.fail([{ code: 10001, message: `fake server bug: ${(e as Error).message}` }]));
    }
  }

  private zone(id: string) {
    const z = this.zones.find((x) => x.id === id);
    if (!z) throw new ApiError(404, [{ code: 7003, message: 'Could not route to /zones/..., perhaps your object identifier is invalid?' }]);
    return z;
  }

  private route(method: string, template: string, params: Record<string, string>, q: URLSearchParams, body: Json, token = ''): Json {
    if (template === '/user/tokens/verify') {
      return { success: true, errors: [], messages: [{ code: 10000, message: 'This API Token is valid and active' }], result: { id: createHash('md5').update(token).digest('hex'), status: 'active' } };
    }
    if (template === '/zones' && method === 'GET') {
      const list = this.zones.filter((z) => !q.get('name') || z.name === q.get('name'));
      const zones = list.map((z) => this.zoneJson(z));
      return { success: true, errors: [], messages: [], result: zones, result_info: { page: 1, per_page: 20, count: zones.length, total_count: zones.length, total_pages: 1 } };
    }
    const zone = this.zone(params.zone_id!);
    if (template === '/zones/{zone_id}/dns_records' && method === 'GET') return this.list(zone.id, q);
    if (template === '/zones/{zone_id}/dns_records' && method === 'POST') {
      const rec = this.create(zone.id, body, this.records);
      this.records.push(rec);
      this.refreshDns(zone.name);
      return { success: true, errors: [], messages: [], result: rec };
    }
    if (template === '/zones/{zone_id}/dns_records/batch') {
      const result = this.batch(zone.id, body);
      this.refreshDns(zone.name);
      return { success: true, errors: [], messages: [], result };
    }
    const rec = this.records.find((r) => r.id === params.dns_record_id && r.zone_id === zone.id);
    if (!rec) throw new ApiError(404, [{ code: 81044, message: 'Record does not exist.' }]);
    if (method === 'GET') return { success: true, errors: [], messages: [], result: rec };
    if (method === 'DELETE') {
      this.records = this.records.filter((r) => r !== rec);
      this.refreshDns(zone.name);
      return { success: true, errors: [], messages: [], result: { id: rec.id } };
    }
    const next = this.edit(rec, body, method === 'PUT', this.records);
    this.records = this.records.map((r) => (r === rec ? next : r));
    this.refreshDns(zone.name);
    return { success: true, errors: [], messages: [], result: next };
  }

  private refreshDns(zoneName: string): void {
    this.dns?.swap(this.authority(zoneName));
  }

  private zoneJson(z: { id: string; name: string; name_servers: string[] }): Json {
    const t = '2024-01-01T00:00:00Z';
    return {
      id: z.id,
      name: z.name,
      development_mode: 0,
      owner: { id: id32(), name: 'test', type: 'user' },
      account: { id: id32(), name: 'test' },
      meta: { cdn_only: false, custom_certificate_quota: 0, dns_only: false, foundation_dns: false, page_rule_quota: 3, phishing_detected: false, step: 2 },
      name_servers: z.name_servers,
      original_name_servers: null,
      original_registrar: null,
      original_dnshost: null,
      created_on: t,
      modified_on: t,
      activated_on: t,
      plan: { id: id32(), name: 'Free Website', price: 0, currency: 'USD', frequency: '', is_subscribed: true, can_subscribe: false, legacy_id: 'free', legacy_discount: false, externally_managed: false },
      paused: false,
      status: 'active',
      type: 'full',
    };
  }

  private list(zoneId: string, q: URLSearchParams): Json {
    let rs = this.records.filter((r) => r.zone_id === zoneId);
    const lc = (s: string | null) => s?.toLowerCase();
    const exact = lc(q.get('name.exact') ?? q.get('name'));
    if (exact) rs = rs.filter((r) => r.name === exact);
    const ends = lc(q.get('name.endswith'));
    if (ends) rs = rs.filter((r) => r.name.endsWith(ends));
    const starts = lc(q.get('name.startswith'));
    if (starts) rs = rs.filter((r) => r.name.startsWith(starts));
    if (q.get('type')) rs = rs.filter((r) => r.type === q.get('type'));
    if (q.get('comment.exact')) rs = rs.filter((r) => r.comment === q.get('comment.exact'));
    const perPage = Number(q.get('per_page') ?? 100);
    const page = Number(q.get('page') ?? 1);
    const slice = rs.slice((page - 1) * perPage, page * perPage);
    return {
      success: true,
      errors: [],
      messages: [],
      result: slice,
      result_info: { page, per_page: perPage, count: slice.length, total_count: rs.length, total_pages: Math.max(1, Math.ceil(rs.length / perPage)) },
    };
  }

  private build(zoneId: string, b: Json): FakeRecord {
    const t = now();
    const name = normalizeName(b.name);
    const rec: FakeRecord = {
      id: id32(),
      zone_id: zoneId,
      name,
      type: b.type,
      content: b.content ?? '',
      proxied: !!b.proxied,
      proxiable: ['A', 'AAAA', 'CNAME'].includes(b.type),
      ttl: b.ttl ?? 1,
      comment: b.comment ?? null,
      tags: b.tags ?? [],
      settings: {},
      meta: {},
      created_on: t,
      modified_on: t,
    };
    if (b.type === 'SRV') {
      rec.data = { priority: b.data.priority, weight: b.data.weight, port: b.data.port, target: normalizeName(b.data.target) };
      rec.content = `${rec.data.weight} ${rec.data.port} ${rec.data.target}`;
      (rec as Json).priority = rec.data.priority;
    }
    if (b.type === 'TXT' && !/^".*"$/.test(rec.content)) rec.content = `"${rec.content}"`;
    return rec;
  }

  /** Cloudflare's validation, as far as srvctl can trip it; returns the record to store. */
  private create(zoneId: string, b: Json, existing: FakeRecord[]): FakeRecord {
    if (b.type === 'SRV') {
      if (b.data?.service || b.data?.proto || b.data?.name) throw new ApiError(400, [{ code: 9101, message: 'data.service, data.proto and data.name are no longer supported' }]);
      for (const f of ['priority', 'weight', 'port', 'target']) if (b.data?.[f] === undefined) throw new ApiError(400, [{ code: 9101, message: `SRV record is missing the data field ${f}` }]);
      if (b.proxied) throw new ApiError(400, [{ code: 9004, message: 'This record type cannot be proxied.' }]);
    }
    if (b.type === 'A' && !/^\d+\.\d+\.\d+\.\d+$/.test(b.content ?? '')) throw new ApiError(400, [{ code: 9005, message: 'Content for A record must be a valid IPv4 address.' }]);
    if (typeof b.comment === 'string' && b.comment.length > this.commentLimit) throw new ApiError(400, [{ code: 9103, message: `DNS record comment must be at most ${this.commentLimit} characters on this plan.` }]);
    if (b.ttl !== undefined && b.ttl !== 1 && (b.ttl < 60 || b.ttl > 86400)) throw new ApiError(400, [{ code: 9021, message: 'Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.' }]);
    const rec = this.build(zoneId, b);
    const same = existing.find((r) => r.zone_id === zoneId && r.name === rec.name && r.type === rec.type && r.content === rec.content);
    if (same) throw new ApiError(400, [{ code: 81058, message: 'An identical record already exists.' }]);
    if (existing.some((r) => r.zone_id === zoneId && r.name === rec.name && ((r.type === 'CNAME') !== (rec.type === 'CNAME')))) {
      throw new ApiError(400, [{ code: 81057, message: 'A record with the same name already exists (CNAME conflict).' }]);
    }
    return rec;
  }

  private edit(rec: FakeRecord, b: Json, replace: boolean, existing: FakeRecord[]): FakeRecord {
    const merged = replace ? b : { name: rec.name, type: rec.type, content: rec.content, data: rec.data, ttl: rec.ttl, proxied: rec.proxied, comment: rec.comment, ...b };
    const next = this.create(rec.zone_id, merged, existing.filter((r) => r !== rec));
    return { ...next, id: rec.id, created_on: rec.created_on };
  }

  /** deletes, patches, puts, posts in that order, in one transaction: all or nothing. */
  private batch(zoneId: string, b: Json): Json {
    let work = [...this.records];
    const out: Json = { deletes: [], patches: [], puts: [], posts: [] };
    for (const d of b.deletes ?? []) {
      const rec = work.find((r) => r.id === d.id && r.zone_id === zoneId);
      if (!rec) throw new ApiError(400, [{ code: 81044, message: `Record ${d.id} does not exist.` }]);
      work = work.filter((r) => r !== rec);
      out.deletes.push(rec);
    }
    for (const [kind, replace] of [['patches', false], ['puts', true]] as const) {
      for (const p of b[kind] ?? []) {
        const rec = work.find((r) => r.id === p.id && r.zone_id === zoneId);
        if (!rec) throw new ApiError(400, [{ code: 81044, message: `Record ${p.id} does not exist.` }]);
        const { id: _id, ...fields } = p;
        const next = this.edit(rec, fields, replace, work);
        work = work.map((r) => (r === rec ? next : r));
        out[kind].push(next);
      }
    }
    for (const p of b.posts ?? []) {
      const rec = this.create(zoneId, p, work);
      work.push(rec);
      out.posts.push(rec);
    }
    if (this.recordQuota !== undefined && work.filter((r) => r.zone_id === zoneId).length > this.recordQuota) {
      throw new ApiError(400, [{ code: 81045, message: 'Record quota exceeded.' }]);
    }
    this.records = work;
    return out;
  }
}
