import { analyze, type CheckOptions, type CheckReport } from '../check/analyze.js';
import { gather, type Asker } from '../check/gather.js';
import type { EtcdVersion, Manifest } from '../manifest/types.js';
import { allSrvNames } from '../records/desired.js';
import type { NamedServer } from '../verify/verify.js';

/** A recursive resolver for names outside the zone, as a member's resolver would follow them. */
export interface Resolver {
  server: NamedServer;
  ask: Asker;
}

export interface PredictionSetup {
  domain: string;
  zone: string;
  nameservers: NamedServer[];
  version: EtcdVersion;
  serviceName: string;
  /** asks one nameserver, without recursion */
  ask: Asker;
  resolver?: Resolver;
  manifest?: Manifest;
}

/** The check options a manifest implies: its members, TLS, token and client SRV. */
export function checkOptionsFor(version: EtcdVersion, serviceName: string, m?: Manifest): CheckOptions {
  return {
    version,
    serviceName,
    token: m?.etcd.token ?? 'etcd-cluster',
    tls: m?.etcd.tls,
    clientSrv: m?.etcd.clientSrv,
    members: m?.members.map((x) => ({ name: x.name, host: x.host, peerPort: x.peerPort, state: x.state, advertisePeerUrls: [x.advertisePeerUrl] })),
  };
}

/** Host names in the members' advertise URLs: etcd resolves those too. */
export function memberHosts(m?: Manifest): string[] {
  return (m?.members ?? []).map((x) => new URL(x.advertisePeerUrl).hostname).filter((h) => !/^[\d.]+$|^\[/.test(h));
}

/** Reads DNS from every nameserver and predicts what etcd will do with it. */
export async function predictFromDns(s: PredictionSetup): Promise<CheckReport> {
  const gathered = await gather(s.domain, s.zone, s.nameservers, allSrvNames(s.domain, s.serviceName), s.ask, s.resolver, memberHosts(s.manifest));
  return analyze(gathered, checkOptionsFor(s.version, s.serviceName, s.manifest));
}
