import { EXIT, SrvctlError } from '../errors.js';
import { reportJson } from '../reconcile/format.js';
import { reconcile } from '../reconcile/pipeline.js';
import type { Context } from './context.js';
import { etcdFlags, processDeps, type EtcdFlags } from './deps.js';
import { ReportPrinter } from './report.js';

export interface DestroyFlags extends EtcdFlags {
  yes?: boolean;
  dryRun?: boolean;
  verify?: boolean; // commander's --no-verify sets false
  force?: boolean;
}

/**
 * destroy: parse → the core's pipeline in destroy mode → print. The plan deletes every
 * record the cluster owns and its markers, nothing else (src/plan/destroy.ts); nothing
 * owned, or members still running (with endpoints), is refused before any write.
 */
export async function destroy(ctx: Context, file: string, flags: DestroyFlags): Promise<number> {
  const printer = new ReportPrinter(ctx, 'destroy', ctx.err);
  const confirm = async (r: Parameters<typeof printer.flush>[0]) => {
    printer.flush(r);
    if (!ctx.stdinIsTTY) throw new SrvctlError('usage', 'destroy deletes records and there is no terminal to confirm on: pass --yes, or --dry-run');
    return ctx.confirm(`Delete these ${r.plan!.changes.length} record(s) from ${r.provider!.description}?`);
  };
  const deps = processDeps(ctx, confirm, { onStage: (_s, r) => printer.flush(r) });
  const report = await reconcile({ mode: 'destroy', file, yes: flags.yes, dryRun: flags.dryRun, verify: flags.verify, force: flags.force, ...etcdFlags(flags) }, deps);
  printer.flush(report);
  const doc = reportJson(report);
  if (report.error) throw new SrvctlError(report.error.code, report.error.message, report.error.details, doc);
  if (flags.dryRun || report.outcome === 'declined') {
    ctx.err(flags.dryRun ? '--dry-run: nothing deleted.\n' : 'Nothing deleted.\n');
    if (ctx.json) ctx.emit(doc);
    return flags.dryRun ? EXIT.ok : EXIT.failure;
  }
  ctx.err('Every record the cluster owned is gone; records srvctl does not own were left alone.\n');
  if (ctx.json) ctx.emit(doc);
  return EXIT.ok;
}
