import { ipVersion } from '../util/ip.js';
import { SrvctlError } from '../errors.js';
import { normalizeName } from '../records/name.js';
import type { NamedServer } from '../verify/verify.js';
import type { Asker } from './gather.js';

/** The zone that holds `domain`, from an SOA in the answer or the authority section. */
export async function findZone(domain: string, server: NamedServer, ask: Asker): Promise<string> {
  let name = domain;
  for (;;) {
    const a = await ask(server, name, 'SOA');
    const soa = [...a.answers, ...a.authority].find((r) => r.type === 'SOA');
    if (soa) return soa.name;
    if (a.rcode === 'REFUSED') throw new SrvctlError('dns', `${server.name}: REFUSED for ${name}: it does not serve ${domain}`);
    if (!name.includes('.')) throw new SrvctlError('dns', `no SOA found for ${domain} or any parent domain (last answer: ${a.rcode})`);
    name = name.slice(name.indexOf('.') + 1);
  }
}

/** The zone's NS set with addresses, asked of a recursive resolver. */
export async function discoverNameservers(domain: string, resolver: NamedServer, ask: Asker): Promise<{ zone: string; nameservers: NamedServer[] }> {
  const zone = await findZone(domain, resolver, ask);
  const ns = await ask(resolver, zone, 'NS');
  const hosts = ns.answers.filter((r) => r.type === 'NS' && r.name === zone).map((r) => normalizeName(r.rdata));
  if (hosts.length === 0) throw new SrvctlError('dns', `zone ${zone} has no NS records (asked ${resolver.name}: ${ns.rcode})`);
  const out: NamedServer[] = [];
  for (const host of hosts.sort()) {
    for (const type of ['A', 'AAAA']) {
      const glue = ns.additional.filter((r) => r.name === host && r.type === type).map((r) => r.rdata);
      const addrs = glue.length ? glue : (await ask(resolver, host, type).catch(() => null))?.answers.filter((r) => r.type === type).map((r) => r.rdata) ?? [];
      for (const address of addrs) if (ipVersion(address)) out.push({ name: host, host: address, port: 53 });
    }
  }
  if (out.length === 0) throw new SrvctlError('dns', `none of the nameservers of ${zone} (${hosts.join(', ')}) has an address`);
  return { zone, nameservers: out };
}
