import type { Provider } from '../../providers/provider.js';
import type { Manifest } from '../manifest/types.js';
import type { ReconcileDeps } from '../reconcile/types.js';
import type { NamedServer } from '../verify/verify.js';

/**
 * The dependencies one drift run shares among its checks, so that what is the same for
 * every manifest is asked once per run, not once per manifest:
 * - each host name of verify.nameservers is looked up once (1,000 manifests naming
 *   ns1.example.com would otherwise make 1,000 lookups);
 * - a provider's nameservers (its NS set and their addresses: several DNS queries or an
 *   API call) are asked once per provider and zone, keyed by the provider's description,
 *   which names its server or account and zone. A zone file's embedded server is left
 *   out: it lives with its provider outside a snapshot, and drift's snapshot already
 *   shares one per zone file (providers/zonefile.ts).
 * A failure is kept too: every manifest that needs that answer reports the same failure.
 */
export function sharedRunDeps(base: ReconcileDeps): ReconcileDeps {
  const hosts = new Map<string, Promise<string[]>>();
  const nameservers = new Map<string, Promise<NamedServer[]>>();
  return {
    ...base,
    lookupHost: (host) => {
      let addresses = hosts.get(host);
      if (!addresses) hosts.set(host, (addresses = base.lookupHost(host)));
      return addresses;
    },
    providerNameservers: (provider: Provider, manifest: Manifest) => {
      const ask = () => (base.providerNameservers ? base.providerNameservers(provider, manifest) : provider.nameservers());
      if (provider.type === 'zonefile') return ask();
      const key = `${provider.type}\n${manifest.provider.zone}\n${provider.description}`;
      let found = nameservers.get(key);
      if (!found) nameservers.set(key, (found = ask()));
      return found;
    },
  };
}
