import { lookup } from 'node:dns/promises';
import { SrvctlError } from '../src/errors.js';
import type { Manifest } from '../src/manifest/types.js';
import type { Plan } from '../src/plan/plan.js';
import { fqdn, isSubdomain, normalizeName } from '../src/records/name.js';
import { canonicalIPv6, parseSrvRdata, parseTxtRdata, rrsetKey, srvRdata, txtRdata, type Rec } from '../src/records/record.js';
import type { ApplyResult, Nameserver, Provider, ProviderContext, PreflightResult } from './provider.js';
import { namedSecret } from './secrets.js';
import { RRsetSnapshot } from './snapshot.js';

interface PdnsRRset {
  name: string;
  type: string;
  ttl: number;
  records: { content: string; disabled: boolean }[];
}

const TIMEOUT_MS = 10_000;

/** PowerDNS content → srvctl's canonical rdata (and back: they are the same presentation form). */
function canonical(type: string, content: string): string {
  switch (type) {
    case 'SRV': {
      const s = parseSrvRdata(content);
      return s ? srvRdata(s) : content;
    }
    case 'AAAA':
      return canonicalIPv6(content);
    case 'TXT':
      return txtRdata(parseTxtRdata(content));
    case 'CNAME':
    case 'NS':
      return fqdn(normalizeName(content));
    default:
      return content;
  }
}

class PowerDnsProvider implements Provider {
  readonly type = 'powerdns';
  readonly capabilities = { atomicApply: true, comments: true, preflightProvesWrite: false };
  readonly description: string;
  private readonly snapshot = new RRsetSnapshot();
  private readonly zoneUrl: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly base: string,
    private readonly serverId: string,
    private readonly zone: string,
    private readonly apiKey: string,
    private readonly apiKeyEnv: string,
    private readonly ctx: ProviderContext,
  ) {
    this.timeoutMs = Number(ctx.env.SRVCTL_HTTP_TIMEOUT_MS) > 0 ? Number(ctx.env.SRVCTL_HTTP_TIMEOUT_MS) : TIMEOUT_MS;
    this.zoneUrl = `${base}/api/v1/servers/${encodeURIComponent(serverId)}/zones/${encodeURIComponent(fqdn(zone))}`;
    this.description = `zone ${zone} on PowerDNS ${base} (server ${serverId})`;
  }

  /**
   * The API key out of any text that leaves this provider: error bodies that echo request
   * headers, transport errors, header-validation messages. Each line of a multi-line key is
   * removed too (a message may quote it escaped or broken across lines).
   */
  private redact(text: string): string {
    return redactSecret(text, this.apiKey);
  }

  private async call(method: string, body?: unknown): Promise<unknown> {
    // Node's own header check would quote the key in its message; say what is wrong without it.
    if (/[^\t\x20-\x7e\x80-\xff]/.test(this.apiKey)) {
      throw new SrvctlError('provider', `environment variable ${this.apiKeyEnv} holds characters an HTTP header cannot carry (a line break, a control character, or a character above U+00FF): check how the PowerDNS API key was stored`);
    }
    let res: Response;
    try {
      res = await fetch(this.zoneUrl, {
        method,
        headers: { 'X-API-Key': this.apiKey, ...(body ? { 'content-type': 'application/json' } : {}), accept: 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      throw new SrvctlError('provider', this.redact(`PowerDNS API at ${this.base}: ${cause === 'ECONNREFUSED' ? 'connection refused (is pdns_server running with api=yes?)' : (e as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (e as Error).message}`));
    }
    const text = await res.text();
    if (res.ok) {
      try {
        return text ? JSON.parse(text) : null;
      } catch {
        // V8 quotes the start of the body in its message; the body may echo our headers.
        throw new SrvctlError('provider', `PowerDNS API at ${this.base} answered ${res.status} with a body that is not JSON`);
      }
    }
    let detail = text;
    try {
      detail = String((JSON.parse(text) as { error?: string }).error ?? detail);
    } catch {
      // not JSON: keep the text
    }
    // Redacted before it is cut, so a cut cannot leave half a key behind.
    detail = this.redact(detail).slice(0, 300);
    switch (res.status) {
      case 401:
      case 403:
        throw new SrvctlError('provider', `PowerDNS API at ${this.base} rejected the API key from ${this.apiKeyEnv} (${res.status}): check the server's api-key`);
      case 404:
        throw new SrvctlError('provider', `PowerDNS server "${this.serverId}" at ${this.base} has no zone ${fqdn(this.zone)} (404: ${detail})`);
      case 422:
        throw new SrvctlError('provider', `PowerDNS refused the change (422): ${detail}`);
      default:
        throw new SrvctlError('provider', `PowerDNS API at ${this.base} answered ${res.status}: ${detail}`);
    }
  }

  private async rrsets(): Promise<PdnsRRset[]> {
    const zone = (await this.call('GET')) as { rrsets: PdnsRRset[] };
    return zone.rrsets;
  }

  private static toRecs(sets: PdnsRRset[]): Rec[] {
    return sets.flatMap((s) => s.records.filter((r) => !r.disabled).map((r) => ({ name: normalizeName(s.name), type: s.type, ttl: s.ttl, rdata: canonical(s.type, r.content) })));
  }

  async read(names: readonly string[]): Promise<Rec[]> {
    const wanted = new Set(names);
    const recs = PowerDnsProvider.toRecs(await this.rrsets()).filter((r) => wanted.has(r.name));
    this.snapshot.record(names, recs);
    this.ctx.debug(`read ${recs.length} records at ${names.length} managed names from ${this.description}`);
    return recs;
  }

  /**
   * The zone read with the API key proves the key and the zone. PowerDNS API keys have no
   * per-zone rights to ask about, so the write right itself is proven only by the PATCH.
   */
  async preflight(): Promise<PreflightResult> {
    const zone = (await this.call('GET')) as { rrsets?: unknown[]; kind?: string };
    return { writeRight: false, checks: [{ check: 'API key', detail: `${this.apiKeyEnv} reads zone ${fqdn(this.zone)}${zone.kind ? ` (${zone.kind})` : ''} at ${this.base}` }] };
  }

  /**
   * One PATCH: PowerDNS replaces an RRset whole, so each touched RRset is sent complete,
   * foreign records included. It has no compare-and-swap; the RRsets are read again just
   * before the PATCH and a difference stops the apply.
   */
  async apply(plan: Plan): Promise<ApplyResult> {
    if (plan.changes.length === 0) return { applied: 0, notes: [] };
    const touched = new Map<string, { name: string; type: string }>();
    for (const c of plan.changes) for (const r of [c.before, c.after]) if (r) touched.set(rrsetKey(r), { name: r.name, type: r.type });

    const now = PowerDnsProvider.toRecs(await this.rrsets());
    for (const [k, { name, type }] of touched) {
      const then = this.snapshot.get(k).map((r) => r.rdata).sort().join('|');
      const current = now.filter((r) => r.name === name && r.type === type).map((r) => r.rdata).sort().join('|');
      if (then !== current) throw new SrvctlError('provider', `${name} ${type} changed at PowerDNS since the plan; nothing was changed. Run srvctl again`);
    }

    const rrsets = [...touched.values()].map(({ name, type }) => {
      const removed = new Set(plan.changes.filter((c) => c.before?.name === name && c.before.type === type).map((c) => c.before!.rdata));
      const kept = this.snapshot.get(`${name}\t${type}`).filter((r) => !removed.has(r.rdata));
      const added = plan.changes.filter((c) => c.after?.name === name && c.after.type === type).map((c) => c.after!);
      const records = [...kept, ...added];
      if (records.length === 0) return { name: fqdn(name), type, changetype: 'DELETE' };
      // One TTL per RRset: the one srvctl writes.
      const ttl = added[0]?.ttl ?? kept[0]!.ttl;
      return { name: fqdn(name), type, ttl, changetype: 'REPLACE', records: records.map((r) => ({ content: r.rdata, disabled: false })) };
    });
    await this.call('PATCH', { rrsets });
    this.snapshot.forget(touched.keys());
    return { applied: plan.changes.length, notes: [`sent one PATCH with ${rrsets.length} RRset(s) to ${this.base}`] };
  }

  async nameservers(): Promise<Nameserver[]> {
    const sets = await this.rrsets();
    const ns = sets.filter((s) => s.type === 'NS' && normalizeName(s.name) === this.zone).flatMap((s) => s.records.map((r) => normalizeName(r.content)));
    const out: Nameserver[] = [];
    for (const host of ns) {
      const addrs = isSubdomain(host, this.zone)
        ? sets.filter((s) => normalizeName(s.name) === host && (s.type === 'A' || s.type === 'AAAA')).flatMap((s) => s.records.map((r) => r.content))
        : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
      for (const a of addrs) out.push({ name: host, host: a, port: 53 });
    }
    if (out.length === 0) throw new SrvctlError('provider', `zone ${this.zone} has no NS records with addresses at PowerDNS: set verify.nameservers`);
    return out;
  }
}

/** `text` without `secret`, nor any line of it of 4 characters or more, nor its JSON-escaped form. */
export function redactSecret(text: string, secret: string): string {
  if (!secret) return text;
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), ...secret.split(/[\r\n]+/).filter((l) => l.length >= 4)]);
  let out = text;
  for (const f of [...forms].sort((a, b) => b.length - a.length)) out = out.split(f).join('[api key]');
  return out;
}

export async function create(manifest: Manifest, ctx: ProviderContext): Promise<Provider> {
  const o = manifest.provider.options;
  const apiKeyEnv = typeof o.apiKeyEnv === 'string' ? o.apiKeyEnv : 'PDNS_API_KEY';
  const apiKey = await namedSecret(ctx.env, apiKeyEnv, 'provider.apiKeyEnv', 'the PowerDNS API key');
  const base = String(o.url).replace(/\/+$/, '');
  return new PowerDnsProvider(base, typeof o.serverId === 'string' ? o.serverId : 'localhost', manifest.provider.zone, apiKey, apiKeyEnv, ctx);
}
