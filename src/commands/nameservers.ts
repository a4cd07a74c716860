import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Nameserver, Provider } from '../../providers/provider.js';
import { SrvctlError } from '../errors.js';
import type { HostPort } from '../manifest/types.js';

/** Nameservers named in the manifest (resolved through the system resolver), else the provider's. */
export async function verifyNameservers(configured: readonly HostPort[], provider: Provider): Promise<Nameserver[]> {
  if (configured.length === 0) return provider.nameservers();
  const out: Nameserver[] = [];
  for (const hp of configured) {
    if (isIP(hp.host)) {
      out.push({ name: hp.host, host: hp.host, port: hp.port });
      continue;
    }
    let addresses;
    try {
      addresses = await lookup(hp.host, { all: true });
    } catch (e) {
      throw new SrvctlError('dns', `cannot resolve nameserver ${hp.host} from verify.nameservers: ${(e as Error).message}`);
    }
    for (const a of addresses) out.push({ name: hp.host, host: a.address, port: hp.port });
  }
  return out;
}
