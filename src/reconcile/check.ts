import type { CheckReport } from '../check/analyze.js';
import { discoverNameservers, findZone } from '../check/discover.js';
import type { Asker } from '../check/gather.js';
import { SrvctlError } from '../errors.js';
import type { EtcdVersion, Manifest } from '../manifest/types.js';
import { predictFromDns, type Resolver } from '../predict/served.js';
import type { NamedServer } from '../verify/verify.js';

/** `check`: no provider, no plan: find the zone and its nameservers, then predict on served DNS. */
export interface CheckRequest {
  domain: string;
  /** nameservers to ask; empty: the zone's NS set, found through `resolver` */
  nameservers: NamedServer[];
  version: EtcdVersion;
  serviceName: string;
  manifest?: Manifest;
}

export interface CheckDeps {
  /** non-recursive question to one nameserver */
  ask: Asker;
  /** recursive resolver: for discovery of the NS set and for targets outside the zone */
  resolver?: Resolver;
}

export interface CheckOutcome {
  zone: string;
  nameservers: NamedServer[];
  report: CheckReport;
}

/** The zone that holds `domain`, from the first of the given nameservers that answers. */
async function zoneFromAny(domain: string, nameservers: NamedServer[], ask: Asker): Promise<string> {
  const failures: string[] = [];
  for (const ns of nameservers) {
    try {
      return await findZone(domain, ns, ask);
    } catch (e) {
      failures.push(`${ns.host}:${ns.port}: ${(e as Error).message}`);
    }
  }
  throw new SrvctlError('dns', `cannot find the zone of ${domain}: no nameserver answered`, failures);
}

export async function checkDomain(req: CheckRequest, deps: CheckDeps): Promise<CheckOutcome> {
  let nameservers = req.nameservers;
  let zone: string;
  if (nameservers.length) {
    zone = await zoneFromAny(req.domain, nameservers, deps.ask);
  } else {
    const resolver = deps.resolver;
    if (!resolver) throw new SrvctlError('dns', 'no resolver configured on this system (/etc/resolv.conf); name the nameservers with --ns');
    ({ zone, nameservers } = await discoverNameservers(req.domain, resolver.server, resolver.ask).catch((e) => {
      throw e instanceof SrvctlError ? e : new SrvctlError('dns', `cannot find the nameservers of ${req.domain} through ${resolver.server.name}: ${(e as Error).message}`);
    }));
  }
  const report = await predictFromDns({ domain: req.domain, zone, nameservers, version: req.version, serviceName: req.serviceName, ask: deps.ask, resolver: deps.resolver, manifest: req.manifest });
  return { zone, nameservers, report };
}
