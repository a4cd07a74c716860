import { getServers } from 'node:dns';
import { query } from '../dns/transport.js';
import { parseHostPort } from '../manifest/hostport.js';
import type { Resolver } from '../predict/served.js';
import type { NamedServer } from '../verify/verify.js';

/** The first resolver of the system (/etc/resolv.conf), for names outside the zone. */
export function systemResolver(): NamedServer | undefined {
  const first = getServers()[0];
  if (!first) return undefined;
  const hp = parseHostPort(first, 53)!;
  return { name: `resolver ${first}`, host: hp.host, port: hp.port };
}

/** The system resolver as the core's Resolver (recursion on), or none. */
export function systemResolverFor(timeoutMs: number, retries: number): Resolver | undefined {
  const server = systemResolver();
  return server ? { server, ask: (ns, name, type) => query(ns, name, type, { timeoutMs, retries, rd: true }) } : undefined;
}
