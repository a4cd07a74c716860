import type { Paint } from '../plan/format.js';
import type { CheckReport } from './analyze.js';

/** One block per part: nameservers, SRV sets, members (one block each), the cluster, findings. */
export function checkText(r: CheckReport, paint: Paint): string {
  const out: string[] = [];
  out.push(paint.bold(`srvctl check ${r.domain}: etcd ${r.version}${r.serviceName ? `, service name ${r.serviceName}` : ''}, zone ${r.zone}, members from ${r.membersFrom}`), '');
  out.push(paint.bold('Nameservers'));
  for (const ns of r.nameservers) out.push(`  ${ns.status === 'ok' ? paint.add('✓') : paint.conflict('✗')} ${ns.name}  serial ${ns.serial ?? '-'}${ns.status === 'ok' ? '' : `  ${ns.status}`}`);
  out.push('', paint.bold('SRV records'));
  for (const s of r.srv) {
    const tag = s.readByEtcd ? paint.dim(' (etcd reads this)') : s.service === 'server' ? paint.dim(` (not read by etcd ${r.version})`) : '';
    out.push(`  ${s.name}${tag}: ${s.records.length ? `${s.records.length} record(s)` : s.status}`);
    for (const rec of s.records) {
      const where = rec.addresses.length ? `→ ${rec.addresses.join(', ')}${rec.cname ? ` (via CNAME ${rec.cname})` : ''}` : paint.conflict('→ no address');
      out.push(`    ${rec.priority} ${rec.weight} ${rec.port} ${rec.target}.  ${where}`);
    }
  }
  out.push('', paint.bold('Members'));
  for (const m of r.members) {
    const verdict = m.outcome === 'starts' ? paint.add('starts') : paint.conflict('exits');
    out.push(`  ${m.member}: ${verdict}  ${paint.dim(`(advertises ${m.advertisePeerUrls.join(',')})`)}`);
    if (m.initialCluster) out.push(`    initial-cluster: ${m.initialCluster}`);
    if (m.error) out.push(`    etcd: ${paint.conflict(m.error)}`);
    for (const s of m.swallowed) out.push(paint.dim(`    (etcd only logs: ${s})`));
    if (m.orderDependent) out.push(paint.change(`    depends on answer order: ${m.orderDependent}`));
  }
  out.push('', paint.bold('Cluster'));
  const c = r.cluster;
  if (c.formed) {
    out.push(`  a ${c.formed.size}-member cluster forms (quorum ${c.formed.quorum}), cluster ID ${c.formed.clusterId}: running ${c.formed.running.join(', ')}${c.formed.phantoms.length ? `; phantom ${c.formed.phantoms.join(', ')}` : ''}${c.formed.absent.length ? `; listed but not running ${c.formed.absent.join(', ')}` : ''}`);
  } else {
    out.push(`  no single cluster forms (${c.starting.length} of ${c.intended} members start)`);
  }
  const errors = r.findings.filter((f) => f.severity === 'error');
  const warnings = r.findings.filter((f) => f.severity === 'warning');
  if (r.findings.length) {
    out.push('', paint.bold('Findings'));
    for (const f of errors) out.push(paint.conflict(`  ✗ ${f.message}`));
    for (const f of warnings) out.push(paint.change(`  ! ${f.message}`));
  }
  out.push('', paint.bold(errors.length ? `${errors.length} error(s), ${warnings.length} warning(s).` : warnings.length ? `Sound, with ${warnings.length} warning(s).` : `Sound: etcd ${r.version} will bootstrap the intended cluster from these records.`));
  return `${out.join('\n')}\n`;
}

export function checkJson(r: CheckReport) {
  return {
    domain: r.domain,
    zone: r.zone,
    etcdVersion: r.version,
    serviceName: r.serviceName,
    membersFrom: r.membersFrom,
    nameservers: r.nameservers,
    srv: r.srv,
    members: r.members.map((m) => ({
      name: m.member,
      advertisePeerUrls: m.advertisePeerUrls,
      outcome: m.outcome,
      error: m.error ?? null,
      initialCluster: m.initialCluster ?? null,
      clusterId: m.clusterId ?? null,
      memberIds: m.cluster ?? [],
      swallowed: m.swallowed,
      orderDependent: m.orderDependent ?? null,
    })),
    cluster: r.cluster,
    findings: r.findings,
    sound: !r.findings.some((f) => f.severity === 'error'),
  };
}
