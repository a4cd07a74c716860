import { EXIT, SrvctlError } from '../errors.js';
import { reconcile } from '../reconcile/pipeline.js';
import { reportJson } from '../reconcile/format.js';
import type { Context } from './context.js';
import { etcdFlags, processDeps, type EtcdFlags } from './deps.js';
import { ReportPrinter } from './report.js';
import { adoptFlags, type AdoptFlags } from './adopting.js';
import { savePlan } from '../plan/saved.js';
import { writeAtomic } from '../util/atomic-write.js';

export interface PlanFlags extends EtcdFlags, AdoptFlags {
  /** plan --out FILE: save the plan with digests of what it was made from, for sync --plan */
  out?: string;
}

/** plan: stages 1–4, nothing written. Exit 0 in sync, 2 changes pending, 1 refused or failed. */
export async function plan(ctx: Context, file: string, flags: PlanFlags = {}): Promise<number> {
  const printer = new ReportPrinter(ctx, 'plan', ctx.out);
  const deps = processDeps(ctx, async () => false, { onStage: (_s, r) => printer.flush(r) });
  const lifecycle = adoptFlags(flags);
  const report = await reconcile({ mode: 'plan', file, ...etcdFlags(flags), ...lifecycle }, deps);
  printer.flush(report);
  const doc = reportJson(report);
  if (report.error) throw new SrvctlError(report.error.code, report.error.message, report.error.details, { ...doc, ...(doc.plan as object | undefined) });
  if (flags.out) {
    // only a plan that passed every judgment is saved; the saved text holds no secret (records and digests)
    const saved = savePlan({ kind: 'sync', manifest: report.manifest!, provider: report.provider!.type, names: report.readNames ?? [], actual: report.actual ?? [], plan: report.plan!, options: lifecycle, now: new Date() });
    await writeAtomic(flags.out, `${JSON.stringify(saved, null, 2)}\n`);
    ctx.err(`Saved the plan to ${flags.out}: apply exactly it with srvctl sync ${file} --plan ${flags.out}\n`);
    doc.savedPlan = { path: flags.out, readDigest: saved.read.digest, manifestDigest: saved.manifest.digest, planDigest: saved.plan.digest };
  }
  if (ctx.json) ctx.emit({ ...doc, ...(doc.plan as object) });
  return report.outcome === 'pending' ? EXIT.attention : EXIT.ok;
}
