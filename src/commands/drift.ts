import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { query } from '../dns/transport.js';
import { compareMembership, type LiveMember } from '../drift/membership.js';
import { metricsText, previousSuccess, type ClusterMetrics } from '../drift/prometheus.js';
import { EXIT, SrvctlError } from '../errors.js';
import type { Manifest } from '../manifest/types.js';
import { applyToRecords } from '../plan/diff.js';
import { srvName } from '../records/desired.js';
import { parseSrvRdata, recordText } from '../records/record.js';
import { writeAtomic } from '../util/atomic-write.js';
import { collectManifests } from '../drift/collect.js'; // [hostile] directory enumeration
import { printable } from '../util/printable.js'; // [hostile] control characters escaped in output
import { mapLimit } from '../util/limit.js';
import { expectationsFor, verifyOnce } from '../verify/verify.js';
import type { Context } from './context.js';
import { memberList, type EtcdTls } from './etcd-gateway.js';
import { loadManifest } from './manifest.js';
import { verifyNameservers } from './nameservers.js';
import { planFor } from './planning.js';

export interface DriftFlags extends EtcdTls {
  etcd?: boolean;
  etcdEndpoints?: string;
  promFile?: string;
  concurrency?: string;
}

export interface DriftFinding {
  kind: 'provider' | 'dns' | 'etcd';
  message: string;
  record?: string;
  nameserver?: string;
  member?: string;
}

interface ClusterResult {
  file: string;
  cluster: string | null;
  ok: boolean;
  error?: string;
  findings: DriftFinding[];
  durationMs: number;
  /** [hostile] why the check could not run (src/drift/collect.ts), for srvctl_drift_manifest_error */
  reason?: string;
}

/** Manifests among the arguments: files as given, directories searched for YAML that looks like one. */
async function findManifests(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string, explicit: boolean): Promise<void> => {
    let st;
    try {
      st = await stat(p);
    } catch {
      throw new SrvctlError('usage', `cannot read ${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      for (const e of (await readdir(p)).sort()) if (!e.startsWith('.') && e !== 'node_modules') await walk(join(p, e), false);
      return;
    }
    if (explicit) return void out.push(p);
    if (!/\.ya?ml$/i.test(p)) return;
    try {
      const doc = parseYaml(await readFile(p, 'utf8')) as Record<string, unknown> | null;
      if (doc && typeof doc === 'object' && 'cluster' in doc && 'members' in doc) out.push(p);
    } catch {
      // not YAML we can read: not a manifest either; an explicit file would have said so
    }
  };
  for (const p of paths) await walk(p, true);
  return out;
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

async function checkCluster(ctx: Context, file: string, flags: DriftFlags): Promise<ClusterResult> {
  const started = Date.now();
  const findings: DriftFinding[] = [];
  let manifest: Manifest | undefined;
  try {
    manifest = await loadManifest(ctx, file);
    const { provider, plan, actual, desired } = await planFor(ctx, manifest);
    try {
      // Provider vs manifest: the plan srvctl sync would apply.
      for (const c of plan.changes.filter((x) => !x.marker)) {
        const r = (c.after ?? c.before)!;
        const msg =
          c.action === 'create' ? `missing at the provider: ${recordText(c.after!)}` : c.action === 'delete' ? `at the provider but not in the manifest: ${recordText(c.before!)}` : `differs at the provider: ${recordText(c.before!)} (manifest: ${c.after!.rdata}, ttl ${c.after!.ttl})`;
        findings.push({ kind: 'provider', record: `${r.name} ${r.type}`, message: msg });
      }
      for (const k of plan.conflicts) findings.push({ kind: 'provider', record: `${k.record.name} ${k.record.type}`, message: `foreign record: ${recordText(k.record)} (${k.reason})` });

      // Every authoritative nameserver vs the manifest: what DNS would serve once in sync.
      const nameservers = await verifyNameservers(manifest.verify.nameservers, provider);
      const expectations = expectationsFor(applyToRecords(actual, plan), [...desired, ...plan.changes.filter((c) => !c.marker && c.before).map((c) => c.before!)]);
      const ask = (ns: { host: string; port: number }, name: string, type: string) => query(ns, name, type, { timeoutMs: manifest!.verify.timeoutMs, retries: manifest!.verify.retries });
      const report = await verifyOnce(nameservers, expectations, ask);
      for (const cell of report.cells.filter((c) => c.status !== 'ok')) {
        const what = cell.status === 'differs' ? [cell.missing.length ? `missing ${cell.missing.join(', ')}` : '', cell.extra.length ? `unexpected ${cell.extra.join(', ')}` : ''].filter(Boolean).join('; ') : cell.detail ?? cell.status;
        findings.push({ kind: 'dns', nameserver: cell.nameserver, record: `${cell.name} ${cell.type}`, message: `${cell.nameserver}: ${cell.name} ${cell.type}: ${what}` });
      }

      // The running cluster vs DNS vs manifest.
      if (flags.etcd || flags.etcdEndpoints) {
        const serverName = srvName('server', manifest.etcd.tls, manifest.etcd.serviceName, manifest.domain);
        const first = nameservers[0]!;
        const srv = (await ask(first, serverName, 'SRV')).answers.filter((r) => r.type === 'SRV').map((r) => parseSrvRdata(r.rdata)!);
        let endpoints = flags.etcdEndpoints?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
        if (endpoints.length === 0) {
          const clientName = srvName('client', manifest.etcd.tls, manifest.etcd.serviceName, manifest.domain);
          const scheme = manifest.etcd.tls ? 'https' : 'http';
          endpoints = (await ask(first, clientName, 'SRV')).answers.filter((r) => r.type === 'SRV').map((r) => parseSrvRdata(r.rdata)!).map((s) => `${scheme}://${s.target}:${s.port}`);
          if (endpoints.length === 0) throw new SrvctlError('dns', `no ${clientName} records to find the cluster's endpoints; pass --etcd-endpoints`);
        }
        const live: LiveMember[] = await memberList(endpoints, flags);
        for (const f of compareMembership(manifest.members, srv, live)) findings.push({ kind: 'etcd', member: f.member, message: f.message });
      }
    } finally {
      await provider.close?.();
    }
    return { file, cluster: manifest.cluster, ok: true, findings, durationMs: Date.now() - started };
  } catch (e) {
    const message = e instanceof SrvctlError ? [e.message, ...e.details].join('; ') : `internal error: ${(e as Error).message}`;
    return { file, cluster: manifest?.cluster ?? (await clusterNameOf(file)), ok: false, error: message, findings, durationMs: Date.now() - started };
  }
}

export async function drift(ctx: Context, paths: string[], flags: DriftFlags): Promise<number> {
  // [hostile] src/drift/collect.ts finds the manifests; unreadable, broken, non-regular, dangling, looping and duplicate entries come back failed, never opened twice
  const entries = await collectManifests(paths);
  const files = entries.filter((e) => !e.error).map((e) => e.file);
  if (entries.length === 0) throw new SrvctlError('usage', `no cluster manifests found in ${paths.join(', ')}`);
  if (flags.etcdEndpoints && files.length > 1) throw new SrvctlError('usage', '--etcd-endpoints names one cluster: give one manifest, or use --etcd to find each cluster through its _etcd-client SRV records');
  const concurrency = Number(flags.concurrency ?? 4);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) throw new SrvctlError('usage', `--concurrency "${flags.concurrency}" must be a whole number from 1 to 32`);
  const results = await mapLimit(files, concurrency, (f) => checkCluster(ctx, f, flags));
  // [hostile] the entries that could not be checked join the results, in the order they were found
  for (const e of entries) if (e.error) results.push({ file: e.file, cluster: e.cluster, ok: false, error: e.error, reason: e.reason, findings: [], durationMs: 0 });
  const order = new Map(entries.map((e, i) => [e.file, i]));
  results.sort((a, b) => order.get(a.file)! - order.get(b.file)!);

  for (const r of results) {
    const head = `${printable(r.cluster ?? '?')} (${printable(r.file)})`;
    if (!r.ok) ctx.out(`${ctx.paint.remove('✗')} ${head}: check failed: ${printable(r.error)}\n`);
    else if (r.findings.length === 0) ctx.out(`${ctx.paint.add('✓')} ${head}: no drift\n`);
    else {
      ctx.out(`${ctx.paint.change('!')} ${head}: ${r.findings.length} finding(s)\n`);
      for (const f of r.findings) ctx.out(`    [${f.kind}] ${printable(f.message)}\n`);
    }
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
      clusters: results.map((r) => ({ cluster: r.cluster, file: r.file, ok: r.ok, error: r.error ?? null, durationMs: r.durationMs, findings: r.findings })),
    });
  }
  return failed ? EXIT.failure : drifting ? EXIT.attention : EXIT.ok;
}
