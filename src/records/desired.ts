import type { EtcdVersion, Manifest } from '../manifest/types.js';
import { markerFor } from './ownership.js';
import { addressRdata, rec, srvRdata, type Rec } from './record.js';

export type Service = 'server' | 'client';

/** `_etcd-<service>[-ssl][-<serviceName>]._tcp.<domain>` */
export function srvName(service: Service, tls: boolean, serviceName: string, domain: string): string {
  return `_etcd-${service}${tls ? '-ssl' : ''}${serviceName ? `-${serviceName}` : ''}._tcp.${domain}`;
}

/** Every SRV name etcd or etcdctl may read for a domain: both services, with and without -ssl. */
export function allSrvNames(domain: string, serviceName: string): string[] {
  const names: string[] = [];
  for (const service of ['server', 'client'] as const) {
    for (const tls of [true, false]) names.push(srvName(service, tls, serviceName, domain));
  }
  return names;
}

/** The SRV names etcd of `version` reads to build its initial cluster, in the order it reads them. */
export function serverNamesRead(version: EtcdVersion, domain: string, serviceName: string): { name: string; scheme: 'https' | 'http' }[] {
  const ssl = { name: srvName('server', true, serviceName, domain), scheme: 'https' as const };
  const plain = { name: srvName('server', false, serviceName, domain), scheme: 'http' as const };
  return version === '3.4' ? [ssl] : [ssl, plain];
}

/** The records a manifest wants, without ownership markers. */
export function desiredRecords(m: Manifest): Rec[] {
  const out: Rec[] = [];
  const serverName = srvName('server', m.etcd.tls, m.etcd.serviceName, m.domain);
  const clientName = srvName('client', m.etcd.tls, m.etcd.serviceName, m.domain);
  for (const member of m.members) {
    const base = { priority: member.priority, weight: member.weight, target: member.host };
    out.push(rec(serverName, 'SRV', m.ttl, srvRdata({ ...base, port: member.peerPort })));
    if (m.etcd.clientSrv) out.push(rec(clientName, 'SRV', m.ttl, srvRdata({ ...base, port: member.clientPort })));
    if (member.ipv4) out.push(rec(member.host, 'A', m.ttl, addressRdata('A', member.ipv4)));
    if (member.ipv6) out.push(rec(member.host, 'AAAA', m.ttl, addressRdata('AAAA', member.ipv6)));
  }
  return out;
}

export function withMarkers(records: readonly Rec[], owner: string): Rec[] {
  return [...records, ...records.map((r) => markerFor(r, owner))];
}

/** Names srvctl reads before planning: all SRV variants and the members' hosts. */
export function managedNames(m: Manifest): string[] {
  return [...new Set([...allSrvNames(m.domain, m.etcd.serviceName), ...m.members.map((x) => x.host)])];
}
