import { EXIT, SrvctlError } from '../errors.js';
import { reportJson } from '../reconcile/format.js';
import { reconcile } from '../reconcile/pipeline.js';
import type { Context } from './context.js';
import { etcdFlags, processDeps, type EtcdFlags } from './deps.js';
import { emitConfigs } from './output.js';
import { ReportPrinter } from './report.js';
import { adoptFlags, loadSavedPlan, type AdoptFlags } from './adopting.js';
import { parseFormat, type RenderFlags } from './render.js';

export interface SyncFlags extends RenderFlags, EtcdFlags, AdoptFlags {
  /** sync --plan FILE: apply exactly this saved plan (approved when it was saved: no question) */
  plan?: string;
  yes?: boolean;
  dryRun?: boolean;
  verify?: boolean; // commander's --no-verify sets false
  force?: boolean;
  /** --move-members: srvctl runs member update for a running member whose host or peer port changes */
  moveMembers?: boolean;
  /** --remove-members: srvctl runs member remove for running members that left the manifest */
  removeMembers?: boolean;
  /** --replace-members: srvctl replaces a member that does not answer with its namesake marked existing */
  replaceMembers?: boolean;
}

/** sync: parse → the core's pipeline → print. */
export async function sync(ctx: Context, file: string, flags: SyncFlags): Promise<number> {
  // undefined when not asked for: the core then treats cloud-config as a default it may skip
  const format = flags.format === undefined ? undefined : parseFormat(flags.format);
  const printer = new ReportPrinter(ctx, 'sync', ctx.err);
  const confirm = async (r: Parameters<typeof printer.flush>[0]) => {
    printer.flush(r);
    if (!ctx.stdinIsTTY) throw new SrvctlError('usage', 'changes pending and no terminal to confirm them on: pass --yes to apply, or --dry-run');
    return ctx.confirm(`Apply these changes to ${r.provider!.description}?`);
  };
  const deps = processDeps(ctx, confirm, {
    onStage: (_stage, r) => printer.flush(r),
    onVerifyRound: (r, elapsed, waitMs) => {
      if (!ctx.stderrIsTTY || r.ok) return;
      const agreeing = r.nameservers.filter((ns) => r.cells.every((c) => c.nameserver !== ns || c.status === 'ok')).length;
      ctx.err(`\r  ${agreeing}/${r.nameservers.length} nameservers agree after ${(elapsed / 1000).toFixed(0)}s (waiting up to ${waitMs / 1000}s)…`);
    },
  });
  const saved = flags.plan ? await loadSavedPlan(flags.plan, flags) : undefined;
  const lifecycle = saved ? { savedPlan: saved, ...adoptFlags(saved.options) } : adoptFlags(flags);
  const report = await reconcile({ mode: 'sync', file, format, member: flags.member, yes: flags.yes || !!saved, dryRun: flags.dryRun, verify: flags.verify, force: flags.force, moveMembers: flags.moveMembers, removeMembers: flags.removeMembers, replaceMembers: flags.replaceMembers, ...etcdFlags(flags), ...lifecycle }, deps);
  printer.flush(report);
  const doc = reportJson(report);
  if (report.error) throw new SrvctlError(report.error.code, report.error.message, report.error.details, doc);
  if (flags.dryRun || report.outcome === 'declined') {
    ctx.err(flags.dryRun ? '--dry-run: nothing applied.\n' : 'Nothing applied.\n');
    if (ctx.json) ctx.emit(doc);
    return flags.dryRun ? EXIT.ok : EXIT.failure;
  }
  doc.configs = await emitConfigs(ctx, report.configs ?? [], flags.out);
  if (ctx.json) ctx.emit(doc);
  return EXIT.ok;
}
