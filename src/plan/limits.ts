import type { Capabilities, Provider } from '../../providers/provider.js';
import { SrvctlError } from '../errors.js';
import type { Manifest } from '../manifest/types.js';
import { nameToLabels, normalizeName } from '../records/name.js';
import { parseSrvRdata, rrsetKey, type Rec } from '../records/record.js';
import type { Plan } from './plan.js';

/**
 * Limits DNS or a provider cannot carry, judged on the planned records before any write
 * (SPEC v1.1 "Additions"): written anyway, they surface only later, as a verify that
 * waits out its timeout or a server that answers SERVFAIL.
 */
export interface LimitBreach {
  /**
   * srv-answer: etcd's SRV lookup over TCP; rrset-records: the records a provider keeps in
   * one RRset; update-message: one write message of the provider (rfc2136: a change whose
   * RRsets cannot be guarded within one 64 KiB UPDATE)
   */
  limit: 'srv-answer' | 'rrset-records' | 'update-message';
  name: string;
  type: string;
  /** the limit: octets (srv-answer) or records (rrset-records) */
  max: number;
  /** what the plan would make: octets (srv-answer) or records (rrset-records) */
  size: number;
  /** records in the planned RRset */
  records: number;
  /** how many of them fit under the limit */
  fits: number;
  /** where the limit comes from */
  source: string;
  message: string;
}

/** RFC 1035 §4.2.2: a DNS message over TCP is framed by a two-octet length. */
export const MAX_TCP_MESSAGE = 65_535;

function nameOctets(name: string): number {
  return nameToLabels(normalizeName(name)).reduce((n, l) => n + 1 + l.length, 1);
}

/**
 * The octets of the answer to `name SRV` over TCP, as srvctl serves it and as BIND and
 * Knot do: header, the question, every record with its owner compressed to the question
 * (2 octets) and its target uncompressed (RFC 2782; etcd's Go parser rejects a compressed
 * one), and an EDNS OPT without options (Go's resolver sends EDNS, the server answers with
 * it). Authority and additional records are left out: a server drops them when they do not
 * fit, the answer section it cannot. Returns the size and the most records an answer within the limit can hold.
 */
export function srvAnswerOctets(name: string, records: readonly Rec[]): { octets: number; fits: number } {
  const fixed = 12 + nameOctets(name) + 4 + 11;
  const sizes = records.map((r) => 2 + 10 + 6 + nameOctets(parseSrvRdata(r.rdata)?.target ?? '.'));
  const octets = sizes.reduce((a, b) => a + b, fixed);
  // the most records any answer can hold: the smallest first
  let fits = 0;
  let used = fixed;
  for (const s of sizes.sort((a, b) => a - b)) {
    if ((used += s) > MAX_TCP_MESSAGE) break;
    fits++;
  }
  return { octets, fits };
}

/** The provider's per-RRset record limit, or the manifest's `provider.maxRecordsPerRRset` (0: none). */
export function rrsetLimit(manifest: Manifest, capabilities: Capabilities): { max: number; source: string } | null {
  const given = manifest.provider.options.maxRecordsPerRRset;
  if (typeof given === 'number') return given > 0 ? { max: given, source: 'provider.maxRecordsPerRRset in the manifest' } : null;
  const max = capabilities.maxRecordsPerRRset;
  if (!max) return null;
  return { max, source: capabilities.maxRecordsPerRRsetSource ?? `the ${manifest.provider.type} provider's known limit` };
}

/**
 * Every RRset the plan adds records to, as it would be after the plan: its SRV answer
 * against 64 KiB, its record count against the provider's limit. An RRset the plan does
 * not grow is not judged (it is already what the provider holds).
 */
export function limitBreaches(plan: Plan, after: readonly Rec[], manifest: Manifest, capabilities: Capabilities): LimitBreach[] {
  const grown = new Set(plan.changes.filter((c) => c.after).map((c) => rrsetKey(c.after!)));
  if (grown.size === 0) return [];
  const sets = new Map<string, Rec[]>();
  for (const r of after) {
    const k = rrsetKey(r);
    if (grown.has(k)) sets.set(k, [...(sets.get(k) ?? []), r]);
  }
  const limit = rrsetLimit(manifest, capabilities);
  const out: LimitBreach[] = [];
  for (const records of sets.values()) {
    const { name, type } = records[0]!;
    if (type === 'SRV') {
      const { octets, fits } = srvAnswerOctets(name, records);
      if (octets > MAX_TCP_MESSAGE) {
        out.push({
          limit: 'srv-answer',
          name,
          type,
          max: MAX_TCP_MESSAGE,
          size: octets,
          records: records.length,
          fits,
          source: 'a DNS message over TCP (RFC 1035 §4.2.2)',
          message: `the answer to ${name} SRV would be ${octets} octets over TCP (question, ${records.length} records with uncompressed targets, EDNS OPT), over the ${MAX_TCP_MESSAGE}-octet limit of a DNS message: etcd could not read it. At most ${fits} of these records fit (${fits} members at this name)`,
        });
      }
    }
    if (limit && records.length > limit.max) {
      out.push({
        limit: 'rrset-records',
        name,
        type,
        max: limit.max,
        size: records.length,
        records: records.length,
        fits: limit.max,
        source: limit.source,
        message: `${name} ${type} would hold ${records.length} records, over the limit of ${limit.max} records per RRset (${limit.source}): the server would refuse the update or fail to load the zone. Raise the server's limit and set provider.maxRecordsPerRRset to it (0: no limit), or list at most ${limit.max} members`,
      });
    }
  }
  return out;
}

/** The refusal for a plan over a limit, with the breaches on the plan for --json; undefined when within every limit. */
export function judgeLimits(plan: Plan, after: readonly Rec[], manifest: Manifest, provider: Pick<Provider, 'capabilities' | 'limitBreaches'>): SrvctlError | undefined {
  const breaches = limitBreaches(plan, after, manifest, provider.capabilities);
  // the provider's own write limits, once the records are known to be within DNS's
  if (breaches.length === 0) breaches.push(...(provider.limitBreaches?.(plan) ?? []));
  if (breaches.length === 0) return undefined;
  plan.limits = breaches;
  return new SrvctlError('provider', `the plan is over ${breaches.length === 1 ? 'a limit' : `${breaches.length} limits`} of DNS or the provider; nothing was written`, breaches.map((b) => b.message));
}
