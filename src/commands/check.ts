import { checkJson, checkText } from '../check/format.js';
import { query } from '../dns/transport.js';
import { EXIT, SrvctlError } from '../errors.js';
import { durationMs } from '../manifest/duration.js';
import { parseHostPort } from '../manifest/hostport.js';
import { ETCD_VERSIONS, type EtcdVersion } from '../manifest/types.js';
import { hostnameProblem, normalizeName } from '../records/name.js';
import type { NamedServer } from '../verify/verify.js';
import type { Context } from './context.js';
import { loadManifest } from './manifest.js';
import { checkDomain } from '../reconcile/check.js';
import { systemResolverFor } from './predicting.js';

export interface CheckFlags {
  ns?: string[];
  manifest?: string;
  etcdVersion?: string;
  serviceName?: string;
  timeout?: string;
  retries?: string;
}

function parseDuration(text: string, flag: string): number {
  if (!/^[0-9]+(\.[0-9]+)?(ms|s|m)$/.test(text)) throw new SrvctlError('usage', `${flag} "${text}" is not a duration such as 500ms, 2s or 1m`);
  return durationMs(text);
}

function parseCount(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 10) throw new SrvctlError('usage', `--retries "${text}" must be a whole number from 0 to 10`);
  return Number(text);
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
  const timeoutMs = flags.timeout ? parseDuration(flags.timeout, '--timeout') : manifest?.verify.timeoutMs ?? 2000;
  const retries = flags.retries !== undefined ? parseCount(flags.retries) : manifest?.verify.retries ?? 2;
  const asker = (s: NamedServer, name: string, type: string) => query(s, name, type, { timeoutMs, retries });
  const given = [...(flags.ns ?? []), ...(!flags.ns?.length && manifest ? manifest.verify.nameservers.map((n) => `${n.host}:${n.port}`) : [])];
  const nameservers: NamedServer[] = given.map((text) => {
    const hp = parseHostPort(text, 53);
    if (!hp) throw new SrvctlError('usage', `--ns "${text}" is not host, host:port or [v6]:port`);
    return { name: hp.host, host: hp.host, port: hp.port };
  });
  const bad = nameservers.find((n) => !/^[\d.]+$|:/.test(n.host));
  if (bad) throw new SrvctlError('usage', `--ns ${bad.host}: give the nameserver's IP address`);

  const { zone, nameservers: asked, report } = await checkDomain({ domain, nameservers, version, serviceName, manifest }, { ask: asker, resolver: systemResolverFor(timeoutMs, retries) });
  ctx.err(`asked ${asked.length} nameserver(s) of zone ${zone}: ${asked.map((n) => `${n.name === n.host ? '' : `${n.name} `}${n.host}:${n.port}`).join(', ')}\n`);
  ctx.out(checkText(report, ctx.paint));
  if (ctx.json) ctx.emit(checkJson(report));
  if (report.findings.some((f) => f.severity === 'error')) return EXIT.failure;
  return report.findings.length ? EXIT.attention : EXIT.ok;
}
