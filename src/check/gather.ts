import type { Answer } from '../dns/transport.js';
import { isSubdomain } from '../records/name.js';
import { parseSrvRdata, type Rec } from '../records/record.js';
import { mapLimit } from '../util/limit.js';
import { nsLabel, type NamedServer } from '../verify/verify.js';

/** One nameserver's answer to one question, or why there is none. */
export type NsResult = { ok: true; rcode: string; aa: boolean; answers: Rec[]; authority: Rec[] } | { ok: false; error: string };

export type Asker = (server: NamedServer, name: string, type: string) => Promise<Answer>;

export interface Gathered {
  domain: string;
  zone: string;
  nameservers: string[];
  /** name → nameserver label → result */
  srv: Map<string, Map<string, NsResult>>;
  soa: Map<string, NsResult>;
  /** host → nameserver label (or "resolver" for hosts outside the zone) → A and AAAA */
  hosts: Map<string, Map<string, { a: NsResult; aaaa: NsResult }>>;
}

async function ask(asker: Asker, ns: NamedServer, name: string, type: string): Promise<NsResult> {
  try {
    const a = await asker(ns, name, type);
    return { ok: true, rcode: a.rcode, aa: a.aa, answers: a.answers, authority: a.authority };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/**
 * Asks every nameserver, without recursion and in parallel, for the SOA, every SRV name and
 * the address records of every target. Targets outside the zone go to `resolver` (with
 * recursion), as a member's resolver would follow them.
 */
export async function gather(
  domain: string,
  zone: string,
  nameservers: readonly NamedServer[],
  srvNames: readonly string[],
  asker: Asker,
  resolver?: { server: NamedServer; ask: Asker },
  /** hosts in the members' advertise URLs: etcd resolves those too */
  memberHosts: readonly string[] = [],
): Promise<Gathered> {
  const labels = nameservers.map(nsLabel);
  const soa = new Map<string, NsResult>();
  const srv = new Map<string, Map<string, NsResult>>();
  const jobs: (() => Promise<void>)[] = [];
  nameservers.forEach((ns, i) => {
    jobs.push(async () => void soa.set(labels[i]!, await ask(asker, ns, zone, 'SOA')));
    for (const name of srvNames) {
      jobs.push(async () => {
        const r = await ask(asker, ns, name, 'SRV');
        if (!srv.has(name)) srv.set(name, new Map());
        srv.get(name)!.set(labels[i]!, r);
      });
    }
  });
  await mapLimit(jobs, 32, (j) => j());

  const targets = new Set<string>(memberHosts);
  for (const byNs of srv.values()) {
    for (const r of byNs.values()) {
      if (!r.ok) continue;
      for (const rec of r.answers) {
        const s = rec.type === 'SRV' ? parseSrvRdata(rec.rdata) : null;
        if (s && s.target !== '') targets.add(s.target);
      }
    }
  }
  const hosts = new Map<string, Map<string, { a: NsResult; aaaa: NsResult }>>();
  const hostJobs: (() => Promise<void>)[] = [];
  for (const host of targets) {
    const byNs = new Map<string, { a: NsResult; aaaa: NsResult }>();
    hosts.set(host, byNs);
    if (isSubdomain(host, zone)) {
      nameservers.forEach((ns, i) =>
        hostJobs.push(async () => {
          const [a, aaaa] = await Promise.all([ask(asker, ns, host, 'A'), ask(asker, ns, host, 'AAAA')]);
          byNs.set(labels[i]!, { a, aaaa });
        }),
      );
    } else if (resolver) {
      hostJobs.push(async () => {
        const [a, aaaa] = await Promise.all([ask(resolver.ask, resolver.server, host, 'A'), ask(resolver.ask, resolver.server, host, 'AAAA')]);
        byNs.set('resolver', { a, aaaa });
      });
    }
  }
  await mapLimit(hostJobs, 32, (j) => j());
  return { domain, zone, nameservers: labels, srv, soa, hosts };
}
