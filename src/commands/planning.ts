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

/** Opens the manifest's provider, reads the managed names and diffs. The caller closes the provider. */
export async function planFor(ctx: Context, manifest: Manifest): Promise<Planned> {
  const provider = await openProvider(manifest, ctx.providerContext());
  try {
    const { actual } = await readManaged(manifest, (names) => provider.read(names));
    const desired = desiredRecords(manifest);
    return { provider, plan: diff(desired, actual, manifest.cluster, manifest.provider.zone), actual, desired };
  } catch (e) {
    await provider.close?.();
    throw e;
  }
}
