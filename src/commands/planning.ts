import { openProvider } from '../../providers/index.js';
import type { Provider } from '../../providers/provider.js';
import type { Manifest } from '../manifest/types.js';
import { diff } from '../plan/diff.js';
import { readManaged } from '../plan/gather.js';
import type { Plan } from '../plan/plan.js';
import { desiredRecords } from '../records/desired.js';
import type { Rec } from '../records/record.js';
import type { Context } from './context.js';

export interface Planned {
  provider: Provider;
  plan: Plan;
  actual: Rec[];
  desired: Rec[];
}

/** A provider with a TTL floor keeps the floor; say so once rather than plan an update forever. */
function clampTtl(records: Rec[], provider: Provider, ctx: Context): Rec[] {
  const min = provider.capabilities.minTtl;
  if (!min || records.every((r) => r.ttl >= min || r.ttl === 1)) return records;
  ctx.err(ctx.errPaint.change(`warning: ${provider.type} keeps TTLs of at least ${min} s (or 1, automatic): records are written with TTL ${min}\n`));
  return records.map((r) => (r.ttl >= min || r.ttl === 1 ? r : { ...r, ttl: min }));
}

/** Opens the manifest's provider, reads the managed names and diffs. The caller closes the provider. */
export async function planFor(ctx: Context, manifest: Manifest): Promise<Planned> {
  const provider = await openProvider(manifest, ctx.providerContext());
  try {
    const { actual } = await readManaged(manifest, (names) => provider.read(names));
    const desired = clampTtl(desiredRecords(manifest), provider, ctx);
    return { provider, plan: diff(desired, actual, manifest.cluster, manifest.provider.zone), actual, desired };
  } catch (e) {
    await provider.close?.();
    throw e;
  }
}
