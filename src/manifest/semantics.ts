import { isIP, isIPv4, isIPv6 } from 'node:net';
import { dirname, resolve } from 'node:path';
import { hostnameProblem, isSubdomain, normalizeName } from '../records/name.js';
import { canonicalIPv6 } from '../records/record.js';
import { durationMs } from './duration.js';
import { parseHostPort } from './hostport.js';
import type { SourceMap, Path } from './positions.js';
import type { EtcdVersion, Finding, HostPort, Manifest, Member } from './types.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

/**
 * Applies defaults and the checks a schema cannot express. `raw` has passed the schema.
 * Returns every finding at once; the manifest is usable only when none is an error.
 */
export function interpret(file: string, raw: Raw, src: SourceMap): { manifest: Manifest; findings: Finding[] } {
  const findings: Finding[] = [];
  const error = (path: Path, message: string) => findings.push({ severity: 'error', where: src.where(path), message });
  const warning = (path: Path, message: string) => findings.push({ severity: 'warning', where: src.where(path), message });

  const etcdRaw = raw.etcd ?? {};
  const version = (typeof etcdRaw.version === 'number' ? etcdRaw.version.toFixed(1) : etcdRaw.version ?? '3.5') as EtcdVersion;
  const tls = etcdRaw.tls ?? false;
  const serviceName = etcdRaw.serviceName ?? '';
  const scheme = tls ? 'https' : 'http';

  const domain = normalizeName(raw.domain);
  const domainProblem = hostnameProblem(domain);
  if (domainProblem) error(['domain'], `domain: ${domainProblem}`);

  const providerRaw = raw.provider ?? {};
  const zone = normalizeName(providerRaw.zone ?? raw.domain);
  if (providerRaw.zone !== undefined) {
    const zoneProblem = hostnameProblem(zone);
    if (zoneProblem) error(['provider', 'zone'], `zone: ${zoneProblem}`);
  }
  if (!isSubdomain(domain, zone)) {
    error(['provider', 'zone'], `domain ${domain} is not inside zone ${zone}: the SRV records could not live there`);
  }
  const options: Record<string, unknown> = { ...providerRaw };
  delete options.type;
  delete options.zone;
  const type = providerRaw.type ?? 'zonefile';
  if (type === 'zonefile') {
    options.path = resolve(dirname(file), providerRaw.path ?? `${zone}.zone`);
  }

  if (version === '3.4' && !tls && (raw.bootstrap ?? 'srv') === 'srv') {
    error(
      ['etcd', 'version'],
      'etcd 3.4 reads only _etcd-server-ssl SRV records (a bug never fixed in 3.4, etcd-io/etcd#11321): a plain-http cluster cannot bootstrap from DNS on 3.4; set etcd.tls: true or use 3.5+',
    );
  }
  if (etcdRaw.autoTls && !tls) warning(['etcd', 'autoTls'], 'autoTls has no effect without tls: true');
  if (version === '2.3' && serviceName) {
    error(['etcd', 'serviceName'], 'etcd 2.3 has no --discovery-srv-name; serviceName needs etcd 3.4 or later');
  }

  const members: Member[] = (raw.members as Raw[]).map((m, i) => {
    const host = normalizeName(m.host);
    const problem = hostnameProblem(m.host);
    if (problem) error(['members', i, 'host'], `host: ${problem} (an SRV target must be a hostname with an A/AAAA record)`);
    const peerPort = m.peerPort ?? 2380;
    const clientPort = m.clientPort ?? 2379;
    if (peerPort === clientPort) error(['members', i, 'clientPort'], `clientPort equals peerPort (${peerPort}): etcd cannot listen on both`);
    if ((m.ipv4 || m.ipv6) && !isSubdomain(host, zone)) {
      error(['members', i, m.ipv4 ? 'ipv4' : 'ipv6'], `host ${host} is outside zone ${zone}: srvctl cannot manage its address record there`);
    }
    const advertisePeerUrl = m.advertisePeerUrl ?? `${scheme}://${host}:${peerPort}`;
    if (m.advertisePeerUrl !== undefined) checkAdvertise(m, i, host, peerPort, scheme, error);
    return {
      name: m.name,
      host,
      advertisePeerUrl,
      advertiseClientUrl: `${scheme}://${host}:${clientPort}`,
      ipv4: m.ipv4,
      ipv6: m.ipv6 ? canonicalIPv6(m.ipv6) : undefined,
      peerPort,
      clientPort,
      priority: m.priority ?? 0,
      weight: m.weight ?? 0,
      state: m.state ?? 'new',
    };
  });

  duplicates(members, (m) => m.name, (i, first) => error(['members', i, 'name'], `duplicate member name "${members[i]!.name}" (first at member ${first + 1}): etcd names must be unique`));
  duplicates(members, (m) => m.host, (i, first) => error(['members', i, 'host'], `duplicate host ${members[i]!.host} (first at member ${first + 1}): two members would share one SRV target`));
  // A duplicated host already says it all; peer addresses are compared among distinct hosts.
  const distinct = members.map((m, i) => ({ m, i })).filter(({ m }, k) => members.findIndex((x) => x.host === m.host) === k);
  duplicates(distinct, ({ m }) => peerAddress(m), (j, first) => {
    const { m, i } = distinct[j]!;
    error(['members', i, raw.members[i].advertisePeerUrl ? 'advertisePeerUrl' : 'host'], `member "${m.name}" has the same peer address ${peerAddress(m)} as member "${distinct[first]!.m.name}"`);
  });
  const v4 = members.map((m, i) => ({ m, i })).filter(({ m }) => m.ipv4);
  duplicates(v4, ({ m }) => `${m.ipv4}:${m.peerPort}`, (j, first) =>
    error(['members', v4[j]!.i, 'ipv4'], `member "${v4[j]!.m.name}" has the same address ${v4[j]!.m.ipv4} and peer port as member "${v4[first]!.m.name}"`),
  );

  if (members.length % 2 === 0) {
    warning(['members'], `${members.length} members: an even count tolerates no more failures than ${members.length - 1} (quorum ${members.length / 2 + 1})`);
  }

  const verifyRaw = raw.verify ?? {};
  const nameservers: HostPort[] = [];
  (verifyRaw.nameservers ?? []).forEach((text: string, i: number) => {
    const hp = parseHostPort(text, 53);
    if (!hp) error(['verify', 'nameservers', i], `"${text}" is not host, host:port or [v6]:port`);
    else nameservers.push(hp);
  });

  const manifest: Manifest = {
    file,
    cluster: raw.cluster,
    domain,
    ttl: raw.ttl ?? 300,
    etcd: { version, tls, serviceName, token: etcdRaw.token ?? raw.cluster, clientSrv: etcdRaw.clientSrv ?? true, autoTls: etcdRaw.autoTls ?? false },
    provider: { type, zone, options },
    members,
    verify: {
      nameservers,
      timeoutMs: durationMs(verifyRaw.timeout ?? '2s'),
      retries: verifyRaw.retries ?? 2,
      waitMs: durationMs(verifyRaw.wait ?? '120s'),
    },
  };
  return { manifest, findings };
}

function peerAddress(m: Member): string {
  try {
    const url = new URL(m.advertisePeerUrl);
    return `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  } catch {
    // an unusable host is reported by its own check; compare what was written
    return m.advertisePeerUrl;
  }
}

function checkAdvertise(m: Raw, i: number, host: string, peerPort: number, scheme: string, error: (p: Path, msg: string) => void): void {
  const at: Path = ['members', i, 'advertisePeerUrl'];
  let url: URL;
  try {
    url = new URL(m.advertisePeerUrl);
  } catch {
    error(at, `"${m.advertisePeerUrl}" is not a URL`);
    return;
  }
  if (url.protocol !== `${scheme}:`) {
    error(at, `scheme ${url.protocol.slice(0, -1)} does not match etcd.tls (${scheme}): etcd drops the entry with "has scheme mismatch" and the member cannot find itself`);
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (port !== peerPort) {
    error(at, `port ${port} differs from peerPort ${peerPort} published in SRV: the member would not find itself`);
  }
  const urlHost = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(urlHost)) {
    const addresses = [m.ipv4, m.ipv6 ? canonicalIPv6(m.ipv6) : undefined].filter(Boolean);
    const mine = isIPv6(urlHost) ? canonicalIPv6(urlHost) : urlHost;
    if (addresses.length > 0 && !addresses.includes(mine)) {
      error(at, `address ${urlHost} is not the member's ${isIPv4(urlHost) ? 'ipv4' : 'ipv6'} (${addresses.join(', ')}): etcd compares it with what ${host} resolves to`);
    }
  } else if (normalizeName(urlHost) !== host) {
    error(at, `host ${urlHost} differs from the SRV target ${host}: etcd would match them only if both resolve to the same first address`);
  }
}

function duplicates<T>(items: readonly T[], key: (t: T) => string, report: (index: number, firstIndex: number) => void): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    const f = first.get(k);
    if (f === undefined) first.set(k, i);
    else report(i, f);
  });
}
