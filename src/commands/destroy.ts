import { openProvider } from '../../providers/index.js';
import { peerKey } from '../drift/membership.js';
import { EXIT, SrvctlError } from '../errors.js';
import { destroyPlan } from '../plan/destroy.js';
import { planJson, planText } from '../plan/format.js';
import { readManaged } from '../plan/gather.js';
import type { Context } from './context.js';
import { memberList, type EtcdTls } from './etcd-gateway.js';
import { loadManifest } from './manifest.js';

export interface DestroyFlags extends EtcdTls {
  yes?: boolean;
  dryRun?: boolean;
  force?: boolean;
  etcdEndpoints?: string;
}

/**
 * `srvctl destroy FILE`: deletes every record the cluster owns (and its markers), nothing
 * else. Judged before written: the plan is shown, a plan with nothing owned is refused,
 * and with etcd endpoints a cluster whose members still run is refused unless --force.
 *
 * Seam: this runs on the provider path of planning.ts (open, read, plan, apply). When the
 * reconcile core (src/reconcile/) lands, the body becomes one call to it with
 * `destroyPlan` as the planner and the member check as its preflight guard.
 */
export async function destroy(ctx: Context, file: string, flags: DestroyFlags): Promise<number> {
  const manifest = await loadManifest(ctx, file);
  const provider = await openProvider(manifest, ctx.providerContext());
  const report: Record<string, unknown> = { cluster: manifest.cluster, provider: provider.type };
  try {
    const { actual } = await readManaged(manifest, (names) => provider.read(names));
    const plan = destroyPlan(actual, manifest.cluster, manifest.provider.zone, manifest.domain);
    report.plan = planJson(plan);
    ctx.err(`srvctl destroy: cluster ${manifest.cluster}, ${provider.description}\n\n`);
    ctx.err(planText(plan, ctx.errPaint, { showMarkers: ctx.verbose }));
    if (plan.refusals?.length) throw new SrvctlError('provider', `refusing to destroy cluster ${manifest.cluster}: nothing written`, plan.refusals, { ...report, applied: false });

    if (flags.etcdEndpoints) await refuseWhileRunning(ctx, manifest.members.map((m) => m.advertisePeerUrl), flags, report);
    else ctx.err(ctx.errPaint.change('warning: no --etcd-endpoints: srvctl cannot tell whether members of this cluster still run; deleting their records breaks any member that has not bootstrapped yet and every client that discovers through SRV\n'));

    if (flags.dryRun) {
      ctx.err('--dry-run: nothing deleted.\n');
      if (ctx.json) ctx.emit({ ...report, applied: false });
      return EXIT.ok;
    }
    if (!flags.yes) {
      if (!ctx.stdinIsTTY) throw new SrvctlError('usage', 'destroy deletes records and there is no terminal to confirm on: pass --yes, or --dry-run', [], { ...report, applied: false });
      if (!(await ctx.confirm(`Delete these ${plan.changes.length} record(s) from ${provider.description}?`))) {
        ctx.err('Nothing deleted.\n');
        if (ctx.json) ctx.emit({ ...report, applied: false });
        return EXIT.failure;
      }
    }
    const result = await provider.apply(plan);
    for (const n of result.notes) ctx.err(`${n}\n`);
    ctx.err(`Deleted ${result.applied} record(s); records srvctl does not own were left alone.\n`);
    if (ctx.json) ctx.emit({ ...report, applied: true });
    return EXIT.ok;
  } finally {
    await provider.close?.();
  }
}

/** Members that still run keep dialling their peers through these records: refuse, unless --force. */
async function refuseWhileRunning(ctx: Context, peerUrls: string[], flags: DestroyFlags, report: Record<string, unknown>): Promise<void> {
  const endpoints = flags.etcdEndpoints!.split(',').map((e) => e.trim()).filter(Boolean);
  let running: string[];
  try {
    const ours = new Set(peerUrls.map(peerKey));
    running = (await memberList(endpoints, flags)).filter((m) => m.peerURLs.some((u) => ours.has(peerKey(u)))).map((m) => `${m.name || '(unstarted)'} ${BigInt(m.id || 0).toString(16)}`);
  } catch (e) {
    if (flags.force) {
      ctx.err(ctx.errPaint.change(`warning: --force: cannot tell whether the cluster still runs (${(e as Error).message})\n`));
      return;
    }
    throw new SrvctlError('provider', 'cannot tell whether members of this cluster still run: nothing deleted; fix the endpoints, or --force', [(e as Error).message, ...((e as SrvctlError).details ?? [])], { ...report, applied: false });
  }
  report.running = running;
  if (running.length === 0) return;
  if (flags.force) {
    ctx.err(ctx.errPaint.change(`warning: --force: ${running.length} member(s) still run (${running.join(', ')}); their records are deleted anyway\n`));
    return;
  }
  // exit 1; becomes the 'guard' code once the reconcile core defines it
  throw new SrvctlError('provider', `${running.length} member(s) of this cluster still run: nothing deleted; stop them (or etcdctl member remove) first, or --force`, running, { ...report, applied: false });
}
