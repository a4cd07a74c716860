import { EXIT, isSrvctlError, SrvctlError } from '../errors.js';
import { query } from '../dns/transport.js';
import { applyToRecords } from '../plan/diff.js';
import { planJson, planText } from '../plan/format.js';
import { hasChanges } from '../plan/plan.js';
import { checkRenderable, renderMembers } from '../render/render.js';
import { sleep } from '../util/limit.js';
import { verifyJson, verifyText } from '../verify/format.js';
import { expectationsFor, waitForAgreement, type VerifyReport } from '../verify/verify.js';
import type { Context } from './context.js';
import { loadManifest } from './manifest.js';
import { verifyNameservers } from './nameservers.js';
import { predictFromDns } from './predicting.js';
import { checkJson, checkText } from '../check/format.js';
import { emitConfigs } from './output.js';
import { planFor } from './planning.js';
import { parseFormat, type RenderFlags } from './render.js';
import { memberAdd, memberList, type EtcdTls } from './etcd-gateway.js';
import type { Manifest } from '../manifest/types.js';
import { peerKey } from '../drift/membership.js';

/**
 * Members marked `existing` that the running cluster does not know yet are added with
 * `member add` before their records are published, so the running cluster never sees DNS
 * that disagrees with its membership.
 */
async function joinMembers(ctx: Context, manifest: Manifest, flags: SyncFlags): Promise<void> {
  const joining = manifest.members.filter((m) => m.state === 'existing');
  if (!flags.etcdEndpoints) {
    if (joining.length) ctx.err(ctx.errPaint.change(`warning: ${joining.map((m) => m.name).join(', ')} marked existing: add them to the running cluster (etcdctl member add) before they start, or pass --etcd-endpoints and srvctl does it\n`));
    return;
  }
  const endpoints = flags.etcdEndpoints.split(',').map((e) => e.trim()).filter(Boolean);
  const live = await memberList(endpoints, flags);
  const known = new Set(live.flatMap((m) => m.peerURLs.map(peerKey)));
  for (const m of joining) {
    if (known.has(peerKey(m.advertisePeerUrl))) continue;
    const added = await memberAdd(endpoints, [m.advertisePeerUrl], flags);
    ctx.err(`added ${m.name} (${m.advertisePeerUrl}) to the running cluster as member ${added.id}; it must start with initial-cluster-state: existing\n`);
  }
}

export interface SyncFlags extends RenderFlags, EtcdTls {
  etcdEndpoints?: string;
  yes?: boolean;
  dryRun?: boolean;
  verify?: boolean; // commander's --no-verify sets false
  force?: boolean;
}

export async function sync(ctx: Context, file: string, flags: SyncFlags): Promise<number> {
  const format = parseFormat(flags.format);
  const manifest = await loadManifest(ctx, file);
  // SPEC v1.1 stage 1: a format the operator asked for that cannot express the manifest
  // stops sync before any write; the default format only skips the config, with a warning.
  let renderable = true;
  try {
    checkRenderable(manifest, format, flags.member);
  } catch (e) {
    if (flags.format !== undefined || !isSrvctlError(e) || e.code !== 'usage') throw e;
    renderable = false;
    ctx.err(ctx.errPaint.change(`warning: no config will be emitted: ${e.message}; pass --format\n`));
  }
  const { provider, plan, actual, desired } = await planFor(ctx, manifest);
  const report: Record<string, unknown> = { cluster: manifest.cluster, provider: provider.type };
  try {
    ctx.err(`srvctl sync: cluster ${manifest.cluster}, ${provider.description}\n\n`);
    ctx.err(planText(plan, ctx.errPaint, { showMarkers: ctx.verbose }));
    report.plan = planJson(plan);
    if (flags.dryRun) {
      ctx.err('--dry-run: nothing applied.\n');
      if (ctx.json) ctx.emit({ ...report, applied: false });
      return EXIT.ok;
    }

    if (hasChanges(plan)) {
      if (!flags.yes) {
        if (!ctx.stdinIsTTY) throw new SrvctlError('usage', 'changes pending and no terminal to confirm them on: pass --yes to apply, or --dry-run');
        if (!(await ctx.confirm(`Apply these changes to ${provider.description}?`))) {
          ctx.err('Nothing applied.\n');
          if (ctx.json) ctx.emit({ ...report, applied: false });
          return EXIT.failure;
        }
      }
      await joinMembers(ctx, manifest, flags);
      const result = await provider.apply(plan);
      for (const n of result.notes) ctx.err(`${n}\n`);
      ctx.err(`Applied ${result.applied} change(s).\n`);
    }
    else if (flags.etcdEndpoints) await joinMembers(ctx, manifest, flags);
    report.applied = hasChanges(plan);

    if (flags.verify === false) {
      ctx.err(ctx.errPaint.change('warning: --no-verify: no nameserver was asked whether it serves the records, and no etcd prediction was made\n'));
      report.verify = null;
      report.prediction = null;
    } else {
      const after = applyToRecords(actual, plan);
      const rrsets = [...desired, ...plan.changes.filter((c) => !c.marker && c.before).map((c) => c.before!)];
      const expectations = expectationsFor(after, rrsets);
      const nameservers = await verifyNameservers(manifest.verify.nameservers, provider);
      ctx.err(`\nVerifying ${expectations.length} RRset(s) on ${nameservers.length} nameserver(s)…\n`);
      const ask = (ns: { host: string; port: number }, name: string, type: string) =>
        query(ns, name, type, { timeoutMs: manifest.verify.timeoutMs, retries: manifest.verify.retries });
      const verified: VerifyReport = await waitForAgreement(nameservers, expectations, ask, {
        waitMs: manifest.verify.waitMs,
        sleep,
        onRound: (r, elapsed) => {
          if (!ctx.stderrIsTTY || r.ok) return;
          const agreeing = r.nameservers.filter((ns) => r.cells.every((c) => c.nameserver !== ns || c.status === 'ok')).length;
          ctx.err(`\r  ${agreeing}/${r.nameservers.length} nameservers agree after ${(elapsed / 1000).toFixed(0)}s (waiting up to ${manifest.verify.waitMs / 1000}s)…`);
        },
      });
      if (ctx.stderrIsTTY) ctx.err('\r\x1b[K');
      ctx.err(verifyText(verified, ctx.errPaint));
      report.verify = verifyJson(verified);
      if (!verified.ok) {
        throw new SrvctlError('verify', `not every nameserver answered the desired records within ${manifest.verify.waitMs / 1000}s (see the table above); no config emitted`, [], report);
      }

      // What etcd will compute from what DNS now says, before anyone boots with this config.
      const prediction = await predictFromDns({
        domain: manifest.domain,
        zone: manifest.provider.zone,
        nameservers,
        version: manifest.etcd.version,
        serviceName: manifest.etcd.serviceName,
        timeoutMs: manifest.verify.timeoutMs,
        retries: manifest.verify.retries,
        manifest,
      });
      report.prediction = checkJson(prediction);
      const errors = prediction.findings.filter((f) => f.severity === 'error');
      if (errors.length) {
        ctx.err(`\n${checkText(prediction, ctx.errPaint)}`);
        if (!flags.force) {
          throw new SrvctlError('prediction', `etcd ${manifest.etcd.version} would not bootstrap the intended cluster from these records (see above); no config emitted. --force emits it anyway`, errors.map((f) => f.message), report);
        }
        ctx.err(ctx.errPaint.change('warning: --force: emitting config that etcd is predicted to reject\n'));
      } else {
        const c = prediction.cluster.formed!;
        ctx.err(`\netcd ${manifest.etcd.version} prediction: every member finds itself; a ${c.size}-member cluster forms (cluster ID ${c.clusterId}).\n`);
        for (const w of prediction.findings) ctx.err(ctx.errPaint.change(`  ! ${w.message}\n`));
      }
    }

    report.configs = renderable ? await emitConfigs(ctx, renderMembers(manifest, format, flags.member), flags.out) : [];
    if (ctx.json) ctx.emit(report);
    return EXIT.ok;
  } finally {
    await provider.close?.();
  }
}
