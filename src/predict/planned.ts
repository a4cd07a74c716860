import type { CheckReport } from '../check/analyze.js';
import type { Asker } from '../check/gather.js';
import type { Answer } from '../dns/transport.js';
import type { Manifest } from '../manifest/types.js';
import { isSubdomain } from '../records/name.js';
import { rec, type Rec } from '../records/record.js';
import type { NamedServer } from '../verify/verify.js';
import { predictFromDns, type Resolver } from './served.js';

/** The one "nameserver" of a planned record set: the provider as it will be after the apply. */
export const PLANNED: NamedServer = { name: 'planned', host: 'planned', port: 0 };

/**
 * Answers questions from a record set as an authoritative server would: the RRset,
 * else a CNAME at the name (followed inside the set), else NODATA for a name known to
 * exist (read or holding records), else NXDOMAIN.
 */
export function recordSetAsker(records: readonly Rec[], zone: string, knownNames: readonly string[]): Asker {
  const byName = new Map<string, Rec[]>();
  for (const r of records) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const known = new Set([...knownNames, ...byName.keys()]);
  const answer = (rcode: string, answers: Rec[]): Answer => ({ server: PLANNED, rcode, aa: true, tc: false, answers, authority: [], additional: [], transport: 'udp', tries: 1, rttMs: 0, ignored: 0 });
  return async (_ns, name, type) => {
    if (name === zone && type === 'SOA') return answer('NOERROR', [rec(zone, 'SOA', 0, `planned. planned. 0 0 0 0 0`)]);
    if (!isSubdomain(name, zone)) return answer('REFUSED', []);
    const out: Rec[] = [];
    let at = name;
    for (let hops = 0; hops < 8; hops++) {
      const here = byName.get(at) ?? [];
      const exact = here.filter((r) => r.type === type);
      if (exact.length) return answer('NOERROR', [...out, ...exact]);
      const cname = type !== 'CNAME' ? here.find((r) => r.type === 'CNAME') : undefined;
      if (!cname) return answer(out.length || known.has(at) ? 'NOERROR' : 'NXDOMAIN', out);
      out.push(cname);
      at = cname.rdata.replace(/\.$/, '').toLowerCase();
      if (!isSubdomain(at, zone)) return answer('NOERROR', out);
    }
    return answer('SERVFAIL', out);
  };
}

/**
 * What etcd would compute from the records the provider holds once the plan is applied,
 * foreign records included, before anything is written.
 */
export function predictPlanned(after: readonly Rec[], readNames: readonly string[], manifest: Manifest, resolver?: Resolver): Promise<CheckReport> {
  return predictFromDns({
    domain: manifest.domain,
    zone: manifest.provider.zone,
    nameservers: [PLANNED],
    version: manifest.etcd.version,
    serviceName: manifest.etcd.serviceName,
    ask: recordSetAsker(after, manifest.provider.zone, readNames),
    resolver,
    manifest,
  });
}
