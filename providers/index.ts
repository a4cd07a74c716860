import { SrvctlError } from '../src/errors.js';
import type { Manifest } from '../src/manifest/types.js';
import type { Provider, ProviderContext, ProviderFactory } from './provider.js';
import { loadMarkerSecret, withSignedMarkers } from './signed-markers.js';

/**
 * Provider type → adapter, imported only when used: the Cloudflare SDK alone costs about
 * half a second, and no other command should pay for it.
 */
const loaders: Record<string, () => Promise<{ create: ProviderFactory }>> = {
  zonefile: () => import('./zonefile.js'),
  rfc2136: () => import('./rfc2136.js'),
  powerdns: () => import('./powerdns.js'),
  cloudflare: () => import('./cloudflare.js'),
};

export async function openProvider(manifest: Manifest, ctx: ProviderContext): Promise<Provider> {
  const load = loaders[manifest.provider.type];
  if (!load) throw new SrvctlError('provider', `provider type "${manifest.provider.type}" is not available in this version of srvctl`);
  const mod = await load();
  const secret = await loadMarkerSecret(manifest, ctx.env);
  const provider = await mod.create(manifest, ctx);
  return secret ? withSignedMarkers(provider, manifest.cluster, secret) : provider;
}
