import { getServers } from 'node:dns';
import { analyze, type CheckOptions } from '../check/analyze.js';
import { discoverNameservers, findZone } from '../check/discover.js';
import { checkJson, checkText } from '../check/format.js';
import { gather } from '../check/gather.js';
import { query } from '../dns/transport.js';
import { EXIT, SrvctlError } from '../errors.js';
import { parseHostPort } from '../manifest/hostport.js';
import { ETCD_VERSIONS, type EtcdVersion } from '../manifest/types.js';
import { allSrvNames } from '../records/desired.js';
import { hostnameProblem, normalizeName } from '../records/name.js';
import type { NamedServer } from '../verify/verify.js';
import type { Context } from './context.js';
import { loadManifest } from './manifest.js';

export interface CheckFlags {
  ns?: string[];
  manifest?: string;
  etcdVersion?: string;
  serviceName?: string;
  timeout?: string;
}

/** The first resolver of the system (/etc/resolv.conf), asked with recursion for discovery. */
function systemResolver(): NamedServer {
  const first = getServers()[0];
  if (!first) throw new SrvctlError('dns', 'no resolver configured on this system (/etc/resolv.conf); name the nameservers with --ns');
  const hp = parseHostPort(first, 53)!;
  return { name: `resolver ${first}`, host: hp.host, port: hp.port };
}

export async function check(ctx: Context, domainArg: string, flags: CheckFlags): Promise<number> {
  const domain = normalizeName(domainArg);
  const problem = hostnameProblem(domain);
  if (problem) throw new SrvctlError('usage', `DOMAIN: ${problem}`);
  if (flags.etcdVersion && !(ETCD_VERSIONS as readonly string[]).includes(flags.etcdVersion)) {
    throw new SrvctlError('usage', `--etcd-version must be one of ${ETCD_VERSIONS.join(', ')}`);
  }
  const manifest = flags.manifest ? await loadManifest(ctx, flags.manifest) : undefined;
  if (manifest && manifest.domain !== domain) throw new SrvctlError('usage', `${flags.manifest} is for ${manifest.domain}, not ${domain}`);

  const version = (flags.etcdVersion ?? manifest?.etcd.version ?? '3.5') as EtcdVersion;
  const serviceName = flags.serviceName ?? manifest?.etcd.serviceName ?? '';
  const timeoutMs = manifest?.verify.timeoutMs ?? 2000;
  const retries = manifest?.verify.retries ?? 2;
  const asker = (s: NamedServer, name: string, type: string) => query(s, name, type, { timeoutMs, retries });
  const recursive = (s: NamedServer, name: string, type: string) => query(s, name, type, { timeoutMs, retries, rd: true });

  let nameservers: NamedServer[];
  let zone: string;
  const given = [...(flags.ns ?? []), ...(!flags.ns?.length && manifest ? manifest.verify.nameservers.map((n) => `${n.host}:${n.port}`) : [])];
  if (given.length) {
    nameservers = given.map((text) => {
      const hp = parseHostPort(text, 53);
      if (!hp) throw new SrvctlError('usage', `--ns "${text}" is not host, host:port or [v6]:port`);
      return { name: hp.host, host: hp.host, port: hp.port };
    });
    const bad = nameservers.find((n) => !/^[\d.]+$|:/.test(n.host));
    if (bad) throw new SrvctlError('usage', `--ns ${bad.host}: give the nameserver's IP address`);
    zone = await findZone(domain, nameservers[0]!, asker).catch((e) => {
      throw new SrvctlError('dns', `cannot find the zone of ${domain} on ${nameservers[0]!.host}:${nameservers[0]!.port}: ${(e as Error).message}`);
    });
  } else {
    const resolver = systemResolver();
    ({ zone, nameservers } = await discoverNameservers(domain, resolver, recursive).catch((e) => {
      throw e instanceof SrvctlError ? e : new SrvctlError('dns', `cannot find the nameservers of ${domain} through ${resolver.name}: ${(e as Error).message}`);
    }));
  }
  ctx.err(`asking ${nameservers.length} nameserver(s) of zone ${zone}: ${nameservers.map((n) => `${n.name === n.host ? '' : `${n.name} `}${n.host}:${n.port}`).join(', ')}\n`);

  let resolver: { server: NamedServer; ask: typeof recursive } | undefined;
  try {
    resolver = { server: systemResolver(), ask: recursive };
  } catch {
    resolver = undefined;
  }
  const memberHosts = (manifest?.members ?? []).map((m) => new URL(m.advertisePeerUrl).hostname).filter((h) => !/^[\d.]+$|^\[/.test(h));
  const gathered = await gather(domain, zone, nameservers, allSrvNames(domain, serviceName), asker, resolver, memberHosts);
  const opts: CheckOptions = {
    version,
    serviceName,
    token: manifest?.etcd.token ?? 'etcd-cluster',
    tls: manifest?.etcd.tls,
    clientSrv: manifest?.etcd.clientSrv,
    members: manifest?.members.map((m) => ({ name: m.name, host: m.host, peerPort: m.peerPort, state: m.state, advertisePeerUrls: [m.advertisePeerUrl] })),
  };
  const report = analyze(gathered, opts);
  ctx.out(checkText(report, ctx.paint));
  if (ctx.json) ctx.emit(checkJson(report));
  if (report.findings.some((f) => f.severity === 'error')) return EXIT.failure;
  return report.findings.length ? EXIT.attention : EXIT.ok;
}
