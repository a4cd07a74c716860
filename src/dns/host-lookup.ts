import { query, type Answer, type QueryOptions, type Server } from './transport.js';

/** Addresses (A and AAAA) of a host name; [] when it has none or cannot be asked. */
export type HostLookup = (host: string) => Promise<string[]>;

type Ask = (server: Server, name: string, type: string, opts: QueryOptions) => Promise<Answer>;

/**
 * A host lookup through srvctl's own DNS client, asking the given recursive resolvers in
 * turn (recursion desired) — never getaddrinfo, so no NSS, no hosts file, no resolver the
 * caller did not name. For NS host names outside a provider's zone (Cloudflare's
 * nameservers, an NS in another domain); A and AAAA records anywhere in the answer count,
 * since a resolver follows a CNAME chain for us. The first resolver that answers (NOERROR
 * or NXDOMAIN) wins; one that refuses, fails or stays silent is passed over.
 */
export function lookupVia(resolvers: readonly Server[], opts: { timeoutMs: number; retries: number }, ask: Ask = query): HostLookup {
  return async (host) => {
    for (const server of resolvers) {
      const out: string[] = [];
      let answered = false;
      for (const type of ['A', 'AAAA']) {
        try {
          const a = await ask(server, host, type, { ...opts, rd: true });
          // A refusal or a failure is no answer about the name: ask the next resolver, as a stub resolver does.
          if (a.rcode !== 'NOERROR' && a.rcode !== 'NXDOMAIN') continue;
          answered = true;
          out.push(...a.answers.filter((r) => r.type === type).map((r) => r.rdata));
        } catch {
          // unreachable or timed out: the next resolver, if any
        }
      }
      if (answered) return [...new Set(out)];
    }
    return [];
  };
}
