import type { Provider } from '../../providers/provider.js';
import { compareMembership } from '../drift/membership.js';
import type { EtcdClient } from '../etcd/client.js';
import { isSrvctlError, SrvctlError } from '../errors.js';
import { formatFinding, requireManifest } from '../manifest/load.js';
import type { Manifest, Member } from '../manifest/types.js';
import { applyToRecords, diff } from '../plan/diff.js';
import { destroyPlan } from '../plan/destroy.js';
import { judgeLimits } from '../plan/limits.js';
import { verifySavedPlan } from '../plan/saved.js';
import { readManaged } from '../plan/gather.js';
import { hasChanges } from '../plan/plan.js';
import { predictPlanned } from '../predict/planned.js';
import { predictFromDns } from '../predict/served.js';
import { desiredRecords, srvName } from '../records/desired.js';
import { isSubdomain } from '../records/name.js';
import { parseSrvRdata, recordText, type Rec } from '../records/record.js';
import { renderMembers, type Rendered } from '../render/render.js';
import { expectationsFor, verifyOnce, waitForAgreement, type NamedServer } from '../verify/verify.js';
import { judgeDestroy } from './destroy-guard.js';
import { judgeMembership, judgeWithoutEndpoints, membersToProbe } from './guards.js';
import type { LiveMember } from '../drift/membership.js';
import type { DriftFinding, ReconcileDeps, ReconcileReport, ReconcileRequest, Stage, Verdict } from './types.js';
import { writeAll, type MembershipWrites } from './write.js';

/**
 * The pipeline of SPEC v1.1: load → read → plan → predict on the planned records →
 * preflight → write → verify → predict on served DNS → render. Every judgment comes
 * before every write; a stage that fails stops everything after it. Never prints, never
 * throws for an expected failure: the report carries what was gathered and the error.
 */
export async function reconcile(req: ReconcileRequest, deps: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { mode: req.mode, file: req.file, stage: null, outcome: 'failed', guards: [], writes: [], warnings: [] };
  let stage: Stage = 'load';
  let provider: Provider | undefined;
  const done = (s: Stage) => {
    report.stage = s;
    deps.onStage?.(s, report);
  };
  const begin = (s: Stage) => (stage = s);
  try {
    // 1. load, validate, and check that the format can express the manifest.
    const { manifest, warnings } = req.loaded ?? requireManifest(req.file, await deps.readText(req.file));
    report.manifest = manifest;
    report.warnings.push(...warnings.map(formatFinding));
    // A format the operator named that cannot express the manifest stops sync here, before
    // any write; the default format (cloud-config) only costs the config, with a warning.
    let docs: Rendered[] | undefined;
    if (req.mode === 'sync') {
      try {
        docs = renderMembers(manifest, req.format ?? 'cloud-config', req.member);
      } catch (e) {
        if (req.format !== undefined || !isSrvctlError(e) || e.code !== 'usage') throw e;
        report.warnings.push(`no config will be emitted: ${e.message}; pass --format`);
      }
    }
    done('load');

    // 2. read the provider.
    begin('read');
    provider = await deps.openProvider(manifest);
    report.provider = { type: provider.type, description: provider.description };
    const { names, actual } = await readAll(manifest, provider);
    report.readNames = names;
    done('read');

    // plan
    begin('plan');
    const desired = clampTtl(desiredRecords(manifest), provider, report);
    const plan =
      req.mode === 'destroy'
        ? destroyPlan(actual, manifest.cluster, manifest.provider.zone, manifest.domain)
        : diff(desired, actual, manifest.cluster, manifest.provider.zone, { adopt: req.adopt, adoptFrom: req.adoptFrom });
    const notServed = provider.notServed?.() ?? [];
    if (notServed.length) plan.notServed = notServed;
    report.plan = plan;
    report.actual = actual;
    if (plan.refusals?.length) {
      return refuse(report, 'plan', new SrvctlError('provider', req.mode === 'destroy' ? 'nothing to destroy; nothing was written' : 'the adoption cannot be done exactly; nothing was written', plan.refusals));
    }
    if (req.savedPlan) {
      try {
        verifySavedPlan(req.savedPlan, { kind: req.mode === 'destroy' ? 'destroy' : 'sync', manifest, provider: provider.type, names, actual, plan });
      } catch (e) {
        if (!isSrvctlError(e)) throw e;
        return refuse(report, 'plan', e);
      }
    }
    // What DNS serves after this plan: computed once, for stage 3 and stage 6.
    const after = applyToRecords(actual, plan);
    report.after = after;
    const overLimit = req.mode === 'sync' || req.mode === 'plan' || req.mode === 'destroy' ? judgeLimits(plan, after, manifest, provider) : undefined;
    if (overLimit) return refuse(report, 'plan', overLimit);
    const touched = [...desired, ...plan.changes.filter((c) => !c.marker && c.before).map((c) => c.before!)];
    done('plan');

    // 3. predict on the planned record set.
    begin('predict-planned');
    // destroy intends no cluster: there is nothing for etcd to bootstrap from
    let verdict: Verdict = { ok: true, errors: [], warnings: [] };
    if (req.mode !== 'destroy') {
      const planned = await predictPlanned(after, names, manifest, deps.resolver);
      report.planned = planned;
      // Say the cause outright when another srvctl cluster's records share the SRV set: the predictor only sees its effect.
      const merged = [...new Set(plan.conflicts.filter((k) => k.owner && k.owner !== manifest.cluster && k.record.type === 'SRV').map((k) => `${k.record.name}\t${k.owner}`))];
      for (const m of merged) {
        const [name, other] = m.split('\t');
        planned.findings.unshift({ severity: 'error', code: 'merge', record: name, message: `${name} already holds the SRV records of cluster ${other}: two clusters on one discovery domain merge into one member set; give this cluster its own domain or etcd.serviceName` });
      }
      verdict = { ok: !planned.findings.some((f) => f.severity === 'error'), errors: planned.findings.filter((f) => f.severity === 'error'), warnings: planned.findings.filter((f) => f.severity === 'warning') };
      report.verdict = verdict;
    }
    done('predict-planned');
    if (!verdict.ok && req.mode !== 'drift') {
      const what = hasChanges(plan) ? 'the records this plan would write' : 'the records the provider holds';
      if (req.mode === 'plan' || !req.force) {
        return refuse(report, 'predict-planned', new SrvctlError('prediction', `etcd ${manifest.etcd.version} would not bootstrap the intended cluster from ${what}; nothing was written${req.mode === 'sync' ? ' (--force writes anyway)' : ''}`, verdict.errors.map((f) => f.message)));
      }
      report.warnings.push('--force: writing records that etcd is predicted to reject');
    }

    // 4. preflight: the credential, and with endpoints the live member list and its guards.
    begin('preflight');
    report.preflight = await provider.preflight(req.mode === 'drift' ? 'read' : 'write');
    if (!provider.capabilities.preflightProvesWrite && !report.preflight.writeRight) {
      report.preflight.checks.push({ check: 'write right', detail: `${provider.type} cannot prove it without writing; a refused write changes nothing (the apply is all-or-nothing${provider.capabilities.maxBatch ? ' per batch' : ''})` });
    }
    const endpoints = req.etcdEndpoints?.length ? req.etcdEndpoints : manifest.etcd.endpoints ?? [];
    let etcd: EtcdClient | undefined;
    let joins: Member[] = [];
    let membership: MembershipWrites = { joins };
    if (req.mode === 'destroy') {
      const etcdFor = endpoints.length ? deps.etcdClient(endpoints, req.etcdTls ?? {}) : undefined;
      const judged = await judgeDestroy(manifest, endpoints, etcdFor, !!req.force);
      if (judged.members) report.live = { endpoints, members: judged.members };
      report.guards.push(...judged.guards);
    } else if (endpoints.length && req.mode !== 'drift') {
      etcd = deps.etcdClient(endpoints, req.etcdTls ?? {});
      const members = await etcd.memberList();
      report.live = { endpoints, members, ...(etcd.clusterId ? { clusterId: etcd.clusterId } : {}) };
      const asks = { moveMembers: req.moveMembers, removeMembers: req.removeMembers, replaceMembers: req.replaceMembers };
      const probe = membersToProbe(manifest, members, asks);
      const answering = await stillAnswering(probe, deps, req);
      const judged = judgeMembership(manifest, members, { ...asks, answering, probed: new Set(probe.filter((l) => l.clientURLs.length > 0).map((l) => l.id)) });
      report.guards.push(...judged.guards);
      joins = judged.joins;
      membership = { joins, moves: judged.moves, removes: judged.removes };
      if (etcd.clusterId) nameJoinedCluster(report, manifest, etcd.clusterId, joins);
    } else if (req.mode !== 'drift') {
      if (req.moveMembers || req.removeMembers || req.replaceMembers) {
        throw new SrvctlError('usage', `${req.moveMembers ? '--move-members' : req.removeMembers ? '--remove-members' : '--replace-members'} needs the running cluster's client URLs: pass --etcd-endpoints or set etcd.endpoints; nothing was written`);
      }
      report.guards.push(...judgeWithoutEndpoints(manifest, plan));
    }
    // The manifest's verify.nameservers are looked up before any write: a name without an
    // address fails here with nothing written. The provider's own are asked for after the
    // write (the zonefile provider's embedded server serves the file as written).
    const verifying = (req.mode === 'sync' || req.mode === 'destroy') && !req.dryRun && req.verify !== false;
    const named = verifying && manifest.verify.nameservers.length > 0 ? await manifestNameservers(manifest, deps) : undefined;
    done('preflight');
    const refusals = report.guards.filter((g) => g.effect === 'refuse');
    if (refusals.length) {
      return refuse(report, 'preflight', new SrvctlError('guard', `the running cluster disagrees with this change; nothing was written. Run by hand first:`, refusals.map((g) => `${g.command}    # ${g.message}`)));
    }

    if (req.mode === 'drift') {
      report.drift = await driftFindings(req, deps, manifest, provider, plan, after, touched, verdict);
      report.outcome = report.drift.length ? 'pending' : 'in-sync';
      done('verify');
      return report;
    }
    if (req.mode === 'plan' || req.dryRun) {
      report.outcome = hasChanges(plan) || hasMembership(membership) ? 'pending' : 'in-sync';
      return report;
    }

    // 5. write, in the join order (see write.ts).
    begin('write');
    const changes = hasChanges(plan) || hasMembership(membership);
    if (changes && !req.yes && !(await deps.confirm(report))) {
      report.outcome = 'declined';
      return report;
    }
    await writeAll(report.writes, provider, plan, membership, etcd);
    done('write');

    // 6. verify on every nameserver, predict on what they serve, render.
    if (req.verify === false) {
      report.verify = null;
      report.prediction = null;
      report.warnings.push('--no-verify: no nameserver was asked whether it serves the records, and no prediction was made on served DNS (the prediction on the planned records ran)');
    } else {
      begin('verify');
      const nameservers = named ?? (await provider.nameservers());
      report.nameservers = nameservers;
      const expectations = expectationsFor(after, touched);
      const ask = askerFor(deps, manifest);
      const verified = await waitForAgreement(nameservers, expectations, ask, {
        waitMs: manifest.verify.waitMs,
        sleep: deps.sleep,
        now: () => deps.now().getTime(),
        onRound: (r, elapsed) => deps.onVerifyRound?.(r, elapsed, manifest.verify.waitMs),
      });
      report.verify = verified;
      if (!verified.ok) throw new SrvctlError('verify', `not every nameserver answered the desired records within ${manifest.verify.waitMs / 1000}s (see the table above); no config emitted`);
      done('verify');

      if (req.mode === 'destroy') {
        report.outcome = 'applied';
        return report;
      }
      begin('predict-served');
      const prediction = await predictFromDns({ domain: manifest.domain, zone: manifest.provider.zone, nameservers, version: manifest.etcd.version, serviceName: manifest.etcd.serviceName, ask, resolver: deps.resolver, manifest });
      report.prediction = prediction;
      if (report.live?.clusterId) nameJoinedCluster(report, manifest, report.live.clusterId, joins);
      const errors = prediction.findings.filter((f) => f.severity === 'error');
      if (errors.length) {
        if (!req.force) throw new SrvctlError('prediction', `etcd ${manifest.etcd.version} would not bootstrap the intended cluster from what DNS now serves; no config emitted. --force emits it anyway`, errors.map((f) => f.message));
        report.warnings.push('--force: emitting config that etcd is predicted to reject');
      }
      done('predict-served');
    }

    begin('render');
    report.configs = docs;
    report.outcome = changes ? 'applied' : 'in-sync';
    done('render');
    return report;
  } catch (e) {
    if (!isSrvctlError(e)) throw e;
    report.error = { stage, code: e.code, message: e.message, details: [...e.details] };
    report.outcome = report.writes.length === 0 && (e.code === 'prediction' || e.code === 'guard') ? 'refused' : 'failed';
    return report;
  } finally {
    await provider?.close?.();
  }
}

function hasMembership(w: MembershipWrites): boolean {
  return w.joins.length + (w.moves?.length ?? 0) + (w.removes?.length ?? 0) > 0;
}

/**
 * A replacement removes the old member only when it no longer runs: its client URLs are
 * asked for the member list. It is down only when every URL fails to connect (refused, no
 * answer in time, no route, a name that no longer resolves); any answer, an HTTP error or a
 * TLS failure included, means something runs there (then it is refused: stop it, or move it).
 */
const DOWN = /connection refused|no answer within|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ECONNRESET/;
async function stillAnswering(candidates: readonly LiveMember[], deps: ReconcileDeps, req: ReconcileRequest): Promise<Set<string>> {
  const answering = new Set<string>();
  await Promise.all(
    candidates.map(async (l) => {
      if (l.clientURLs.length === 0) return;
      const up = await deps
        .etcdClient([...l.clientURLs], req.etcdTls ?? {})
        .memberList()
        .then(
          () => true,
          (e: unknown) => {
            const lines = isSrvctlError(e) ? e.details : [(e as Error).message];
            return !(lines.length > 0 && lines.every((x) => DOWN.test(x)));
          },
        );
      if (up) answering.add(l.id);
    }),
  );
  return answering;
}

/**
 * A member marked existing takes the running cluster's ID from its peers (etcd's
 * GetClusterFromRemotePeers): the ID a fresh bootstrap from the SRV set would compute is not
 * the one it joins. Each prediction of such a member names the running cluster's ID;
 * `joining` lists the members this run adds.
 */
function nameJoinedCluster(report: ReconcileReport, manifest: Manifest, clusterId: string, joins: readonly Member[]): void {
  const existing = new Set(manifest.members.filter((m) => m.state === 'existing').map((m) => m.name));
  if (existing.size === 0) return;
  // the members this run adds; members marked existing that already run are in it too
  if (joins.length) report.joining = joins.map((m) => ({ member: m.name, clusterId }));
  for (const p of [report.planned, report.prediction]) {
    for (const m of p?.members ?? []) if (existing.has(m.member) && m.outcome === 'starts') m.clusterId = clusterId;
  }
}

function refuse(report: ReconcileReport, stage: Stage, e: SrvctlError): ReconcileReport {
  report.error = { stage, code: e.code, message: e.message, details: [...e.details] };
  report.outcome = 'refused';
  return report;
}

/**
 * The managed names, the hosts of owned SRV targets (readManaged), and the in-zone hosts
 * of every other SRV record read: the planned prediction must see what their targets hold.
 */
async function readAll(manifest: Manifest, provider: Provider): Promise<{ names: string[]; actual: Rec[] }> {
  const first = await readManaged(manifest, (names) => provider.read(names));
  const known = new Set(first.names);
  const more = [...new Set(first.actual.filter((r) => r.type === 'SRV').map((r) => parseSrvRdata(r.rdata)?.target).filter((t): t is string => !!t && !known.has(t) && isSubdomain(t, manifest.provider.zone)))];
  if (more.length === 0) return first;
  return { names: [...first.names, ...more], actual: [...first.actual, ...(await provider.read(more))] };
}

/** A provider with a TTL floor keeps the floor; say so once rather than plan an update forever. */
function clampTtl(records: Rec[], provider: Provider, report: ReconcileReport): Rec[] {
  const min = provider.capabilities.minTtl;
  if (!min || records.every((r) => r.ttl >= min || r.ttl === 1)) return records;
  report.ttlClamped = { minTtl: min };
  report.warnings.push(`${provider.type} keeps TTLs of at least ${min} s (or 1, automatic): records are written with TTL ${min}`);
  return records.map((r) => (r.ttl >= min || r.ttl === 1 ? r : { ...r, ttl: min }));
}

function askerFor(deps: ReconcileDeps, m: Manifest) {
  return (ns: NamedServer, name: string, type: string) => deps.query(ns, name, type, { timeoutMs: m.verify.timeoutMs, retries: m.verify.retries });
}

/** Nameservers named in the manifest, else the provider's (drift asks them in one go). */
async function verifyNameservers(m: Manifest, provider: Provider, deps: ReconcileDeps): Promise<NamedServer[]> {
  return m.verify.nameservers.length === 0 ? provider.nameservers() : manifestNameservers(m, deps);
}

/** verify.nameservers, host names looked up through the injected lookup (never getaddrinfo). */
async function manifestNameservers(m: Manifest, deps: ReconcileDeps): Promise<NamedServer[]> {
  const out: NamedServer[] = [];
  for (const hp of m.verify.nameservers) {
    if (/^[\d.]+$|:/.test(hp.host)) {
      out.push({ name: hp.host, host: hp.host, port: hp.port });
      continue;
    }
    let addresses: string[];
    try {
      addresses = await deps.lookupHost(hp.host);
    } catch (e) {
      throw new SrvctlError('dns', `cannot resolve nameserver ${hp.host} from verify.nameservers: ${(e as Error).message}`);
    }
    // No address would silently drop the nameserver from the proof: verify would pass on the others.
    if (addresses.length === 0) throw new SrvctlError('dns', `nameserver ${hp.host} from verify.nameservers has no A or AAAA record (asked of the configured resolvers): give its address, or fix its name`);
    for (const a of addresses) out.push({ name: hp.host, host: a, port: hp.port });
  }
  return out;
}

/** drift: provider vs manifest (the plan), every nameserver vs the planned records, the running cluster vs DNS. */
async function driftFindings(
  req: ReconcileRequest,
  deps: ReconcileDeps,
  manifest: Manifest,
  provider: Provider,
  plan: NonNullable<ReconcileReport['plan']>,
  after: Rec[],
  touched: Rec[],
  verdict: Verdict,
): Promise<DriftFinding[]> {
  const findings: DriftFinding[] = [];
  for (const c of plan.changes.filter((x) => !x.marker)) {
    const r = (c.after ?? c.before)!;
    const msg =
      c.action === 'create' ? `missing at the provider: ${recordText(c.after!)}` : c.action === 'delete' ? `at the provider but not in the manifest: ${recordText(c.before!)}` : `differs at the provider: ${recordText(c.before!)} (manifest: ${c.after!.rdata}, ttl ${c.after!.ttl})`;
    findings.push({ kind: 'provider', record: `${r.name} ${r.type}`, message: msg });
  }
  for (const k of plan.conflicts) findings.push({ kind: 'provider', record: `${k.record.name} ${k.record.type}`, message: `foreign record: ${recordText(k.record)} (${k.reason})` });
  for (const f of verdict.errors) findings.push({ kind: 'prediction', record: f.record, member: f.member, message: `once in sync, etcd ${manifest.etcd.version} would not bootstrap the intended cluster: ${f.message}` });

  // drift's run shares the provider's answer among the manifests of one zone (src/drift/run-deps.ts)
  const nameservers = manifest.verify.nameservers.length === 0 && deps.providerNameservers ? await deps.providerNameservers(provider, manifest) : await verifyNameservers(manifest, provider, deps);
  const ask = askerFor(deps, manifest);
  const report = await verifyOnce(nameservers, expectationsFor(after, touched), ask);
  for (const cell of report.cells.filter((c) => c.status !== 'ok')) {
    const what = cell.status === 'differs' ? [cell.missing.length ? `missing ${cell.missing.join(', ')}` : '', cell.extra.length ? `unexpected ${cell.extra.join(', ')}` : ''].filter(Boolean).join('; ') : cell.detail ?? cell.status;
    findings.push({ kind: 'dns', nameserver: cell.nameserver, record: `${cell.name} ${cell.type}`, message: `${cell.nameserver}: ${cell.name} ${cell.type}: ${what}` });
  }

  const given = req.etcdEndpoints?.length ? req.etcdEndpoints : manifest.etcd.endpoints ?? [];
  if (req.etcd || req.etcdEndpoints?.length) {
    const first = nameservers[0]!;
    const serverName = srvName('server', manifest.etcd.tls, manifest.etcd.serviceName, manifest.domain);
    const srv = (await ask(first, serverName, 'SRV')).answers.filter((r) => r.type === 'SRV').map((r) => parseSrvRdata(r.rdata)!);
    let endpoints = given;
    if (endpoints.length === 0) {
      const clientName = srvName('client', manifest.etcd.tls, manifest.etcd.serviceName, manifest.domain);
      const scheme = manifest.etcd.tls ? 'https' : 'http';
      endpoints = (await ask(first, clientName, 'SRV')).answers.filter((r) => r.type === 'SRV').map((r) => parseSrvRdata(r.rdata)!).map((s) => `${scheme}://${s.target}:${s.port}`);
      if (endpoints.length === 0) throw new SrvctlError('dns', `no ${clientName} records to find the cluster's endpoints; pass --etcd-endpoints`);
    }
    const live = await deps.etcdClient(endpoints, req.etcdTls ?? {}).memberList();
    for (const f of compareMembership(manifest.members, srv, live)) findings.push({ kind: 'etcd', member: f.member, message: f.message });
  }
  return findings;
}
