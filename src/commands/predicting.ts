import { getServers } from 'node:dns';
import { analyze, type CheckOptions, type CheckReport } from '../check/analyze.js';
import { gather } from '../check/gather.js';
import { query } from '../dns/transport.js';
import { SrvctlError } from '../errors.js';
import { parseHostPort } from '../manifest/hostport.js';
import type { EtcdVersion, Manifest } from '../manifest/types.js';
import { allSrvNames } from '../records/desired.js';
import type { NamedServer } from '../verify/verify.js';

/** The first resolver of the system (/etc/resolv.conf), for names outside the zone. */
export function systemResolver(): NamedServer | undefined {
  const first = getServers()[0];
  if (!first) return undefined;
  const hp = parseHostPort(first, 53)!;
  return { name: `resolver ${first}`, host: hp.host, port: hp.port };
}

export interface PredictionSetup {
  domain: string;
  zone: string;
  nameservers: NamedServer[];
  version: EtcdVersion;
  serviceName: string;
  timeoutMs: number;
  retries: number;
  manifest?: Manifest;
}

/** Reads DNS from every nameserver and predicts what etcd will do with it. */
export async function predictFromDns(s: PredictionSetup): Promise<CheckReport> {
  const asker = (ns: NamedServer, name: string, type: string) => query(ns, name, type, { timeoutMs: s.timeoutMs, retries: s.retries });
  const resolverServer = systemResolver();
  const resolver = resolverServer
    ? { server: resolverServer, ask: (ns: NamedServer, name: string, type: string) => query(ns, name, type, { timeoutMs: s.timeoutMs, retries: s.retries, rd: true }) }
    : undefined;
  const m = s.manifest;
  const memberHosts = (m?.members ?? []).map((x) => new URL(x.advertisePeerUrl).hostname).filter((h) => !/^[\d.]+$|^\[/.test(h));
  const gathered = await gather(s.domain, s.zone, s.nameservers, allSrvNames(s.domain, s.serviceName), asker, resolver, memberHosts);
  const opts: CheckOptions = {
    version: s.version,
    serviceName: s.serviceName,
    token: m?.etcd.token ?? 'etcd-cluster',
    tls: m?.etcd.tls,
    clientSrv: m?.etcd.clientSrv,
    members: m?.members.map((x) => ({ name: x.name, host: x.host, peerPort: x.peerPort, state: x.state, advertisePeerUrls: [x.advertisePeerUrl] })),
  };
  return analyze(gathered, opts);
}

export function requireResolver(): NamedServer {
  const r = systemResolver();
  if (!r) throw new SrvctlError('dns', 'no resolver configured on this system (/etc/resolv.conf); name the nameservers with --ns');
  return r;
}
