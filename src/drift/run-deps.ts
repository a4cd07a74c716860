import type { ReconcileDeps } from '../reconcile/types.js';

/**
 * The dependencies one drift run shares among its checks: each host name of
 * verify.nameservers is looked up once per run, however many manifests name it (1,000
 * manifests sharing ns1.example.com would otherwise make 1,000 lookups). A failed lookup
 * is kept too: every manifest naming that host reports the same failure.
 */
export function sharedRunDeps(base: ReconcileDeps): ReconcileDeps {
  const hosts = new Map<string, Promise<string[]>>();
  return {
    ...base,
    lookupHost: (host) => {
      let addresses = hosts.get(host);
      if (!addresses) hosts.set(host, (addresses = base.lookupHost(host)));
      return addresses;
    },
  };
}
