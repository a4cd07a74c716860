import { isIPv4, isIPv6 } from 'node:net';
import { dirname, resolve } from 'node:path';
import { hostnameProblem, isSubdomain, normalizeName } from '../records/name.js';
import { canonicalIPv6 } from '../records/record.js';
import { printable } from '../util/printable.js';
import { durationMs } from './duration.js';
import { parseHostPort } from './hostport.js';
import type { SourceMap, Path } from './positions.js';
import type { EtcdVersion, Finding, HostPort, Manifest, Member } from './types.js';
import { ipVersion } from '../util/ip.js';

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
  for (const key of ['url', 'baseUrl'] as const) {
    if (typeof providerRaw[key] === 'string') {
      const problem = apiUrlProblem(providerRaw[key]);
      if (problem) error(['provider', key], `${key}: ${problem}`);
    }
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
    const problem = hostnameProblem(m.host) ?? ldhProblem(host);
    if (problem) error(['members', i, 'host'], `host: ${printable(problem)} (an SRV target must be a hostname with an A/AAAA record)`);
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
    const hostProblem = hp && !ipVersion(hp.host) ? hostnameProblem(hp.host) : null;
    if (!hp) error(['verify', 'nameservers', i], `${quoted(text)} is not host, host:port or [v6]:port`);
    else if (hostProblem) error(['verify', 'nameservers', i], `${quoted(text)}: ${printable(hostProblem)}`);
    else nameservers.push(hp);
  });

  const manifest: Manifest = {
    file,
    cluster: raw.cluster,
    domain,
    ttl: raw.ttl ?? 300,
    etcd: { version, tls, serviceName, token: etcdRaw.token ?? raw.cluster, clientSrv: etcdRaw.clientSrv ?? true, autoTls: etcdRaw.autoTls ?? false, endpoints: etcdRaw.endpoints ?? [] },
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
  const shape = peerUrlProblem(m.advertisePeerUrl);
  if (shape) {
    error(at, shape);
    return;
  }
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
  // peerUrlProblem insists on an explicit port; WHATWG URL drops it when it is the scheme's default.
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (port !== peerPort) {
    error(at, `port ${port} differs from peerPort ${peerPort} published in SRV: the member would not find itself`);
  }
  const urlHost = url.hostname.replace(/^\[|\]$/g, '');
  if (ipVersion(urlHost)) {
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

/** A value as it may be printed: JSON-quoted, so control characters and quotes show as escapes. */
function quoted(v: unknown): string {
  const s = JSON.stringify(String(v));
  return s.length > 80 ? `${s.slice(0, 77)}…"` : s;
}

/** SRV targets and peer hosts are hostnames: LDH labels only (RFC 952/1123), no underscore. */
function ldhProblem(host: string): string | null {
  return host.includes('_') ? `"${host}" holds "_": a hostname has only letters, digits and hyphens (RFC 1123), and etcd resolves it as one` : null;
}

/**
 * What etcd (types.NewURLs) or the consumers of initial-cluster would refuse or misread in
 * an advertised peer URL, read from the text as written (WHATWG URL would normalise a
 * trailing slash away): scheme://host:port and nothing else. etcd refuses a path
 * ("URL must not contain a path", a lone "/" included) and a missing port ("URL address
 * does not have the form host:port"); a query, fragment or comma would splice extra
 * entries into the comma-separated initial-cluster; userinfo would publish a credential.
 */
export function peerUrlProblem(text: string): string | null {
  if (text.includes(',')) return `${quoted(text)} holds ",": etcd splits URL lists at commas, so this would advertise another URL`;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(text);
  if (!m) return `${quoted(text)} is not a URL of the form scheme://host:port`;
  const [, , authority, rest] = m as unknown as [string, string, string, string];
  if (authority.includes('@')) return `${quoted(text)} holds userinfo ("…@"): etcd peer URLs carry no credentials, and srvctl would publish them`;
  if (rest.startsWith('/')) return `${quoted(text)} has a path (${quoted(rest.replace(/[?#].*$/s, ''))}): etcd refuses it ("URL must not contain a path"), a trailing "/" included`;
  if (rest.startsWith('?')) return `${quoted(text)} has a query: etcd would pass it into initial-cluster, where "," and "=" add members`;
  if (rest.startsWith('#')) return `${quoted(text)} has a fragment: etcd would pass it into initial-cluster verbatim`;
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(text)) return `${quoted(text)} contains whitespace or control characters`;
  const hp = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(authority);
  if (!hp) return `${quoted(text)}: host ${quoted(authority)} may hold only letters, digits, "." and "-" (or be an [IPv6] literal)`;
  if (hp[2] === undefined) return `${quoted(text)} has no port: etcd refuses it ("URL address does not have the form host:port")`;
  const port = Number(hp[2]);
  if (port < 1 || port > 65535) return `${quoted(text)}: port ${port} is outside 1..65535`;
  const host = hp[1]!;
  if (host.startsWith('[')) {
    if (ipVersion(host.slice(1, -1)) !== 6) return `${quoted(text)}: ${host} is not an IPv6 address`;
  } else if (!ipVersion(host)) {
    const problem = hostnameProblem(host) ?? ldhProblem(normalizeName(host));
    if (problem) return `${quoted(text)}: ${problem}`;
  }
  return null;
}

/** Provider API URLs: no credentials inside (they would be printed in every message), no query or fragment. */
function apiUrlProblem(text: string): string | null {
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(text)) return `${quoted(text)} contains whitespace or control characters`;
  const m = /^https?:\/\/([^/?#]*)([^?#]*)(.*)$/s.exec(text);
  if (!m) return `${quoted(text)} is not an http:// or https:// URL`;
  if (m[1]!.includes('@')) return 'holds userinfo ("…@"): put credentials in the environment variable the provider reads, not in the URL (srvctl prints the URL)';
  if (m[1] === '') return `${quoted(text)} has no host`;
  if (m[3]) return `${quoted(text)} has a query or fragment: srvctl appends API paths to this URL`;
  return null;
}
