import { EXIT, SrvctlError } from '../errors.js';
import { reconcile } from '../reconcile/pipeline.js';
import { reportJson } from '../reconcile/format.js';
import type { Context } from './context.js';
import { etcdFlags, processDeps, type EtcdFlags } from './deps.js';
import { ReportPrinter } from './report.js';

/** plan: stages 1–4, nothing written. Exit 0 in sync, 2 changes pending, 1 refused or failed. */
export async function plan(ctx: Context, file: string, flags: EtcdFlags = {}): Promise<number> {
  const printer = new ReportPrinter(ctx, 'plan', ctx.out);
  const deps = processDeps(ctx, async () => false, { onStage: (_s, r) => printer.flush(r) });
  const report = await reconcile({ mode: 'plan', file, ...etcdFlags(flags) }, deps);
  printer.flush(report);
  const doc = reportJson(report);
  if (report.error) throw new SrvctlError(report.error.code, report.error.message, report.error.details, { ...doc, ...(doc.plan as object | undefined) });
  if (ctx.json) ctx.emit({ ...doc, ...(doc.plan as object) });
  return report.outcome === 'pending' ? EXIT.attention : EXIT.ok;
}
