import { SrvctlError } from '../src/errors.js';
import type { Manifest } from '../src/manifest/types.js';
import type { NotServed, Plan } from '../src/plan/plan.js';
import { fqdn, isSubdomain, normalizeName } from '../src/records/name.js';
import { canonicalIPv6, parseSrvRdata, rrsetKey, srvRdata, txtOctets, txtRdataFromOctets, type Rec } from '../src/records/record.js';
import { outOfZoneAddresses } from './ns-lookup.js';
import type { ApplyResult, Nameserver, Provider, ProviderContext, PreflightResult } from './provider.js';
import { namedSecret } from './secrets.js';

interface PdnsRecord {
  content: string;
  disabled: boolean;
}

interface PdnsRRset {
  name: string;
  type: string;
  ttl: number;
  records: PdnsRecord[];
}

interface PdnsZone {
  serial?: number;
  rrsets: PdnsRRset[];
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
      // PowerDNS hands back the content as it was written (`\DDD` escapes or raw UTF-8): compare octets.
      return txtRdataFromOctets(txtOctets(content));
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
  /** RRsets at the managed names exactly as read (undefined: none), the base of every REPLACE */
  private readonly held = new Map<string, PdnsRRset | undefined>();
  /** disabled records at the names read, by name, type and exact content (a name read twice counts once) */
  private readonly disabledSeen = new Map<string, NotServed>();
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

  private async zoneData(): Promise<PdnsZone> {
    return (await this.call('GET')) as PdnsZone;
  }

  private async rrsets(): Promise<PdnsRRset[]> {
    return (await this.zoneData()).rrsets;
  }

  /** The served records: a disabled record is not in DNS, so neither in the plan's view nor in the prediction. */
  private static toRecs(sets: PdnsRRset[]): Rec[] {
    return sets.flatMap((s) => s.records.filter((r) => !r.disabled).map((r) => ({ name: normalizeName(s.name), type: s.type, ttl: s.ttl, rdata: canonical(s.type, r.content) })));
  }

  /** One RRset exactly as PowerDNS holds it (content strings and disabled flags), for comparison. */
  private static exact(set: PdnsRRset | undefined): string {
    if (!set || set.records.length === 0) return '';
    return `${set.ttl}|${set.records.map((r) => `${r.disabled ? '-' : '+'}${r.content}`).sort().join('|')}`;
  }

  private static byKey(sets: PdnsRRset[]): Map<string, PdnsRRset> {
    return new Map(sets.map((s) => [`${normalizeName(s.name)}\t${s.type}`, s]));
  }

  async read(names: readonly string[]): Promise<Rec[]> {
    const wanted = new Set(names);
    const sets = (await this.rrsets()).filter((s) => wanted.has(normalizeName(s.name)));
    for (const s of sets) this.held.set(`${normalizeName(s.name)}\t${s.type}`, s);
    for (const n of names) for (const t of ['SRV', 'TXT', 'A', 'AAAA', 'CNAME']) if (!this.held.has(`${n}\t${t}`)) this.held.set(`${n}\t${t}`, undefined);
    const recs = PowerDnsProvider.toRecs(sets);
    const disabled = sets.flatMap((s) => s.records.filter((r) => r.disabled).map((r) => ({ key: `${normalizeName(s.name)}\t${s.type}\t${r.content}`, rec: { name: normalizeName(s.name), type: s.type, ttl: s.ttl, rdata: canonical(s.type, r.content) } })));
    for (const d of disabled) this.disabledSeen.set(d.key, { record: d.rec, reason: 'disabled at PowerDNS (not served)' });
    if (disabled.length) this.ctx.debug(`disabled records at managed names, foreign and kept as they are: ${disabled.map((d) => d.key.replace(/\t/g, ' ')).join('; ')}`);
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
   * foreign records included, each with the exact content string and disabled flag it was
   * read with (so bytes >= 0x80 and disabled records survive untouched). PowerDNS has no
   * compare-and-swap: the zone is read again just before the PATCH (a difference in a
   * touched RRset stops the apply), and once more after it: the zone serial says whether
   * another client wrote in between, and a change of theirs that is no longer there was
   * replaced by this PATCH, which is reported as an error, never passed over.
   */
  async apply(plan: Plan): Promise<ApplyResult> {
    if (plan.changes.length === 0) return { applied: 0, notes: [] };
    const touched = new Map<string, { name: string; type: string }>();
    for (const c of plan.changes) for (const r of [c.before, c.after]) if (r) touched.set(rrsetKey(r), { name: r.name, type: r.type });

    const before = await this.zoneData();
    const nowSets = PowerDnsProvider.byKey(before.rrsets);
    for (const [k, { name, type }] of touched) {
      if (PowerDnsProvider.exact(this.held.get(k)) !== PowerDnsProvider.exact(nowSets.get(k))) {
        throw new SrvctlError('provider', `${name} ${type} changed at PowerDNS since the plan; nothing was changed. Run srvctl again`);
      }
    }

    const expected = new Map<string, string>();
    let keptDisabled = 0;
    let enabled = 0;
    const rrsets = [...touched].map(([k, { name, type }]) => {
      const removed = plan.changes.filter((c) => c.before?.name === name && c.before.type === type).map((c) => c.before!.rdata);
      const added = plan.changes.filter((c) => c.after?.name === name && c.after.type === type).map((c) => c.after!);
      const addedRdata = new Set(added.map((r) => canonical(type, r.rdata)));
      const kept = (this.held.get(k)?.records ?? []).filter((r) => {
        if (r.disabled) {
          // A disabled copy of a record the plan adds (srvctl's own, disabled by hand) cannot
          // stay beside it (PowerDNS refuses duplicates): the plan serves it, so it is enabled.
          if (addedRdata.has(canonical(type, r.content))) {
            enabled++;
            return false;
          }
          keptDisabled++;
          return true;
        }
        const i = removed.indexOf(canonical(type, r.content));
        if (i < 0) return true;
        removed.splice(i, 1);
        return false;
      });
      const records: PdnsRecord[] = [...kept, ...added.map((r) => ({ content: r.rdata, disabled: false }))];
      // One TTL per RRset: the one srvctl writes, else the one it had.
      const ttl = added[0]?.ttl ?? this.held.get(k)?.ttl ?? 300;
      if (records.length === 0) {
        expected.set(k, '');
        return { name: fqdn(name), type, changetype: 'DELETE' };
      }
      expected.set(k, PowerDnsProvider.exact({ name, type, ttl, records }));
      return { name: fqdn(name), type, ttl, changetype: 'REPLACE', records };
    });
    await this.call('PATCH', { rrsets });

    const after = await this.zoneData();
    const afterSets = PowerDnsProvider.byKey(after.rrsets);
    const notes = [`sent one PATCH with ${rrsets.length} RRset(s) to ${this.base}`];
    const differs = [...expected].filter(([k, want]) => PowerDnsProvider.exact(afterSets.get(k)) !== want).map(([k]) => k.replace('\t', ' '));
    const others = new Set([...PowerDnsProvider.byKey(before.rrsets).keys(), ...afterSets.keys()].filter((k) => !expected.has(k) && !/\tSOA$/.test(k)));
    const otherChanged = [...others].some((k) => PowerDnsProvider.exact(nowSets.get(k)) !== PowerDnsProvider.exact(afterSets.get(k)));
    const serialJump = typeof before.serial === 'number' && typeof after.serial === 'number' && before.serial > 0 ? after.serial - before.serial : undefined;
    if (differs.length) {
      throw new SrvctlError('provider', `PowerDNS holds other records than srvctl sent at ${differs.join(', ')}: another API client wrote them during the sync. Run srvctl plan to see the zone as it is now`);
    }
    if (serialJump !== undefined && serialJump > 1 && !otherChanged) {
      // Someone wrote between the check and the PATCH, and nothing of theirs is visible: our REPLACE overwrote it.
      throw new SrvctlError(
        'provider',
        `another API client changed zone ${this.zone} between srvctl's last read and its PATCH (serial ${before.serial} → ${after.serial}, one change expected), and that change is no longer in the zone: the PATCH replaced it in ${[...touched.values()].map((t) => `${t.name} ${t.type}`).join(', ')}. Restore it and run srvctl again`,
      );
    }
    if (keptDisabled) notes.push(`kept ${keptDisabled} disabled foreign record(s) in the rewritten RRsets as they were`);
    if (enabled) notes.push(`enabled ${enabled} record(s) that were disabled at PowerDNS: the manifest wants them served`);
    for (const k of touched.keys()) this.held.delete(k);
    return { applied: plan.changes.length, notes };
  }

  notServed(): NotServed[] {
    return [...this.disabledSeen.values()];
  }

  async nameservers(): Promise<Nameserver[]> {
    const sets = await this.rrsets();
    const ns = sets.filter((s) => s.type === 'NS' && normalizeName(s.name) === this.zone).flatMap((s) => s.records.map((r) => normalizeName(r.content)));
    const out: Nameserver[] = [];
    for (const host of ns) {
      const addrs = isSubdomain(host, this.zone)
        ? sets.filter((s) => normalizeName(s.name) === host && (s.type === 'A' || s.type === 'AAAA')).flatMap((s) => s.records.map((r) => r.content))
        : await outOfZoneAddresses(this.ctx, host);
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
