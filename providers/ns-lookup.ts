import type { ProviderContext } from './provider.js';

/**
 * Addresses of an NS host outside the provider's zone, through the context's lookup (the
 * CLI gives one that asks the configured resolvers through srvctl's own DNS client). A
 * context without one asks nobody: a test, or a caller that named its nameservers, never
 * reaches the system resolver by accident.
 */
export async function outOfZoneAddresses(ctx: ProviderContext, host: string): Promise<string[]> {
  if (!ctx.lookupHost) {
    ctx.debug(`${host} is outside the zone and no resolver was given to look it up: not asked (set verify.nameservers)`);
    return [];
  }
  return ctx.lookupHost(host).catch(() => []);
}
