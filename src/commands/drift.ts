import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { metricsText, previousSuccess, type ClusterMetrics } from '../drift/prometheus.js';
import { EXIT, SrvctlError } from '../errors.js';
import { reconcile } from '../reconcile/pipeline.js';
import type { Manifest } from '../manifest/types.js';
import type { DriftFinding, ReconcileDeps, ReconcileReport } from '../reconcile/types.js';
import { writeAtomic } from '../util/atomic-write.js';
import { collectManifests, type CollectedManifest } from '../drift/collect.js'; // [hostile] directory enumeration
import { findOverlaps } from '../drift/overlap.js';
import { sharedRunDeps } from '../drift/run-deps.js';
import { printable } from '../util/printable.js'; // [hostile] control characters escaped in output
import { mapLimit } from '../util/limit.js';
import type { Context } from './context.js';
import { etcdFlags, processDeps, type EtcdFlags } from './deps.js';

export interface DriftFlags extends EtcdFlags {
  etcd?: boolean;
  promFile?: string;
  concurrency?: string;
}

interface ClusterResult {
  file: string;
  cluster: string | null;
  ok: boolean;
  error?: string;
  /** the core's error code, for --json */
  errorCode?: string;
  findings: DriftFinding[];
  durationMs: number;
  /** [hostile] why the check could not run (src/drift/collect.ts), for srvctl_drift_manifest_error */
  reason?: string;
  /** the manifest as loaded, for the checks across manifests */
  manifest?: Manifest;
}

/** The cluster name of a manifest that did not validate, when its YAML still says it: metrics keep their series. */
async function clusterNameOf(file: string): Promise<string | null> {
  try {
    const doc = parseYaml(await readFile(file, 'utf8')) as { cluster?: unknown } | null;
    return typeof doc?.cluster === 'string' ? doc.cluster : null;
  } catch {
    return null;
  }
}

async function checkCluster(ctx: Context, entry: CollectedManifest, flags: DriftFlags, deps: ReconcileDeps): Promise<ClusterResult> {
  const { file } = entry;
  const started = Date.now();
  // The manifest as collectManifests read and validated it: one read and one parse of each file per run.
  const loaded = entry.manifest ? { manifest: entry.manifest, warnings: entry.warnings } : undefined;
  let report: ReconcileReport;
  try {
    report = await reconcile({ mode: 'drift', file, loaded, etcd: flags.etcd, ...etcdFlags(flags) }, deps);
  } catch (e) {
    return { file, cluster: entry.cluster ?? (await clusterNameOf(file)), ok: false, error: `internal error: ${(e as Error).message}`, findings: [], durationMs: Date.now() - started };
  }
  for (const w of report.warnings) ctx.err(ctx.errPaint.change(`warning: ${file}: ${w}\n`));
  const cluster = report.manifest?.cluster ?? (await clusterNameOf(file));
  const findings = report.drift ?? [];
  if (report.error) return { file, cluster, ok: false, error: [report.error.message, ...report.error.details].join('; '), errorCode: report.error.code, findings, durationMs: Date.now() - started, manifest: report.manifest };
  return { file, cluster, ok: true, findings, durationMs: Date.now() - started, manifest: report.manifest };
}

export async function drift(ctx: Context, paths: string[], flags: DriftFlags): Promise<number> {
  // [hostile] src/drift/collect.ts finds the manifests; unreadable, broken, non-regular, dangling, looping and duplicate entries come back failed, never opened twice
  const entries = await collectManifests(paths);
  if (entries.length === 0) {
    // A scheduled run over an empty (or unmounted) folder still says so to its monitoring:
    // the metrics file gets srvctl_drift_manifests 0 and a fresh run timestamp.
    if (flags.promFile) await writeAtomic(flags.promFile, metricsText([])).catch(() => undefined);
    throw new SrvctlError('usage', `no cluster manifests found in ${paths.join(', ')}${flags.promFile ? ` (${flags.promFile} says srvctl_drift_manifests 0)` : ''}`);
  }
  if (flags.etcdEndpoints && entries.filter((e) => !e.error).length > 1) throw new SrvctlError('usage', '--etcd-endpoints names one cluster: give one manifest, or use --etcd to find each cluster through its _etcd-client SRV records');
  const concurrency = Number(flags.concurrency ?? 4);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) throw new SrvctlError('usage', `--concurrency "${flags.concurrency}" must be a whole number from 1 to 32`);
  etcdFlags(flags); // flag errors before any cluster is read
  const checkable = entries.filter((e) => !e.error);
  // One set of outside-world dependencies for the run: the system resolver and each nameserver host looked up once.
  const deps = sharedRunDeps(processDeps(ctx, async () => false));
  // One read and one parse of each zone file for the whole run, shared by every manifest naming it.
  const { withZoneFileSnapshot } = await import('../../providers/zonefile.js');
  const results = await withZoneFileSnapshot(() => mapLimit(checkable, concurrency, (e) => checkCluster(ctx, e, flags, deps)));
  // [hostile] the entries that could not be checked join the results, in the order they were found
  for (const e of entries) if (e.error) results.push({ file: e.file, cluster: e.cluster, ok: false, error: e.error, reason: e.reason, findings: [], durationMs: 0 });
  // Across manifests: two that claim one SRV name merge into one member set in every
  // resolver, two members on one host:port cannot both listen. Each claimant is told.
  const byFile = new Map(results.map((r) => [r.file, r]));
  for (const o of findOverlaps(results.flatMap((r) => (r.manifest ? [r.manifest] : [])))) {
    for (const c of o.claims) byFile.get(c.file)?.findings.push({ kind: 'overlap', record: o.kind === 'srv-name' ? o.key : undefined, message: o.message });
  }
  const order = new Map(entries.map((e, i) => [e.file, i]));
  results.sort((a, b) => order.get(a.file)! - order.get(b.file)!);

  // One write per cluster, not one per line: 1,000 drifting clusters are some 10,000 lines.
  for (const r of results) {
    const head = `${printable(r.cluster ?? '?')} (${printable(r.file)})`;
    if (!r.ok) ctx.out(`${ctx.paint.remove('✗')} ${head}: check failed: ${printable(r.error)}\n`);
    else if (r.findings.length === 0) ctx.out(`${ctx.paint.add('✓')} ${head}: no drift\n`);
    else ctx.out(`${ctx.paint.change('!')} ${head}: ${r.findings.length} finding(s)\n${r.findings.map((f) => `    [${f.kind}] ${printable(f.message)}\n`).join('')}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  const drifting = results.filter((r) => r.ok && r.findings.length > 0).length;
  ctx.out(`\n${results.length} cluster(s): ${results.length - failed - drifting} in sync, ${drifting} drifting, ${failed} failed.\n`);

  if (flags.promFile) {
    let previous = new Map<string, number>();
    try {
      previous = previousSuccess(await readFile(flags.promFile, 'utf8'));
    } catch {
      // first run
    }
    const now = Math.floor(Date.now() / 1000);
    const metrics: ClusterMetrics[] = results.map((r) => {
      const name = r.cluster ?? r.file;
      const drift: Record<string, number> = {};
      for (const f of r.findings) drift[f.kind] = (drift[f.kind] ?? 0) + 1;
      return { cluster: name, ok: r.ok, durationSeconds: r.durationMs / 1000, drift, lastSuccess: r.ok ? now : previous.get(name) ?? null, file: r.file, reason: r.reason };
    });
    try {
      await writeAtomic(flags.promFile, metricsText(metrics));
    } catch (e) {
      throw new SrvctlError('io', `cannot write --prom-file ${flags.promFile}: ${(e as Error).message}`);
    }
  }
  if (ctx.json) {
    ctx.emit({
      drift: drifting > 0,
      failed,
      clusters: results.map((r) => ({ cluster: r.cluster, file: r.file, ok: r.ok, error: r.error ?? null, errorCode: r.errorCode ?? null, durationMs: r.durationMs, findings: r.findings })),
    });
  }
  return failed ? EXIT.failure : drifting ? EXIT.attention : EXIT.ok;
}
