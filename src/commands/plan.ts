import { EXIT } from '../errors.js';
import { planJson, planText } from '../plan/format.js';
import { hasChanges } from '../plan/plan.js';
import type { Context } from './context.js';
import { loadManifest } from './manifest.js';
import { planFor } from './planning.js';

export async function plan(ctx: Context, file: string): Promise<number> {
  const manifest = await loadManifest(ctx, file);
  const { provider, plan } = await planFor(ctx, manifest);
  try {
    ctx.out(`srvctl plan: cluster ${manifest.cluster}, ${provider.description}\n\n`);
    ctx.out(planText(plan, ctx.paint, { showMarkers: ctx.verbose }));
    if (ctx.json) ctx.emit({ provider: provider.type, ...planJson(plan) });
    return hasChanges(plan) ? EXIT.attention : EXIT.ok;
  } finally {
    await provider.close?.();
  }
}
