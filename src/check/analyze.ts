import { ipVersion } from '../util/ip.js';
import type { EtcdVersion } from '../manifest/types.js';
import { clusterVerdict, type ClusterVerdict, type IntendedMember } from '../predict/cluster.js';
import { predictMember, type MemberInput, type MemberPrediction } from '../predict/discovery.js';
import type { AddressLookup, DnsView, SrvLookup } from '../predict/dnsview.js';
import { serverNamesRead, srvName } from '../records/desired.js';
import { parseSrvRdata, type SrvData } from '../records/record.js';
import type { DecodedRec } from '../dns/codec.js';
import { RESOLVER } from '../predict/discovery.js';
import type { Gathered, NsResult } from './gather.js';

export interface CheckOptions {
  version: EtcdVersion;
  serviceName: string;
  token: string;
  /** from a manifest; otherwise members are read off the SRV targets */
  members?: (MemberInput & { host: string; peerPort: number })[];
  tls?: boolean;
  clientSrv?: boolean;
}

export interface Finding {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  nameserver?: string;
  record?: string;
  member?: string;
}

export interface SrvReport {
  name: string;
  scheme: 'https' | 'http';
  service: 'server' | 'client';
  /** does etcd of this version read it to bootstrap? */
  readByEtcd: boolean;
  status: string; // NOERROR / NXDOMAIN / NODATA / error text
  records: (SrvData & { addresses: string[]; cname?: string; problem?: string })[];
}

export interface CheckReport {
  domain: string;
  zone: string;
  version: EtcdVersion;
  serviceName: string;
  membersFrom: 'manifest' | 'dns';
  nameservers: { name: string; serial: number | null; status: string }[];
  srv: SrvReport[];
  members: (MemberPrediction & { advertisePeerUrls: string[] })[];
  cluster: ClusterVerdict;
  findings: Finding[];
}

function srvRecordsOf(r: NsResult | undefined, name: string): SrvData[] | null {
  if (!r || !r.ok || r.rcode !== 'NOERROR') return null;
  const recs = r.answers.filter((x) => x.type === 'SRV' && x.name === name).map((x) => parseSrvRdata(x.rdata)!);
  return recs.length ? recs : null;
}

function statusOf(r: NsResult | undefined): string {
  if (!r) return 'no answer';
  if (!r.ok) return r.error;
  if (r.rcode === 'NOERROR' && r.answers.length === 0) return 'NODATA';
  return r.rcode;
}

function addressLookup(entry: { a: NsResult; aaaa: NsResult } | undefined, host: string): AddressLookup {
  if (!entry) return { ok: false, error: 'no such host' };
  const pick = (r: NsResult, type: string) => (r.ok && r.rcode === 'NOERROR' ? r.answers.filter((x) => x.type === type).map((x) => x.rdata) : []);
  const cname = entry.a.ok ? entry.a.answers.find((x) => x.type === 'CNAME' && x.name === host)?.rdata.replace(/\.$/, '') : undefined;
  const v4 = pick(entry.a, 'A');
  const v6 = pick(entry.aaaa, 'AAAA');
  if (v4.length + v6.length === 0) return { ok: false, error: 'no such host' };
  return { ok: true, v4, v6, cname };
}

/** Go's LookupSRV order: by priority (weight shuffles within a priority; names only, not IDs, depend on it). */
function byPriority(records: SrvData[]): SrvData[] {
  return [...records].sort((a, b) => a.priority - b.priority);
}

/** What DNS says, as seen through one nameserver (targets outside the zone through the resolver). */
export function viewFrom(g: Gathered, ns: string): DnsView {
  const srv = new Map<string, SrvLookup>();
  for (const [name, byNs] of g.srv) {
    const recs = srvRecordsOf(byNs.get(ns), name);
    if (compressesSrvTargets(byNs.get(ns))) srv.set(name, { ok: false, error: GO_CANNOT_UNMARSHAL(g.domain) });
    else srv.set(name, recs ? { ok: true, records: byPriority(recs) } : { ok: false, error: 'no such host' });
  }
  const hosts = new Map<string, AddressLookup>();
  for (const [host, byNs] of g.hosts) hosts.set(host, addressLookup(byNs.get(ns) ?? byNs.get('resolver'), host));
  return { srv, hosts };
}

/**
 * An SRV answer whose target came with a compression pointer (RFC 2782 forbids it): Go's
 * resolver, so etcd and etcdctl, rejects the whole message. Go reports it for the domain
 * LookupSRV was given, not for the _service._proto name.
 */
const compressesSrvTargets = (r: NsResult | undefined): boolean => !!r?.ok && r.answers.some((x) => x.type === 'SRV' && (x as DecodedRec).compressedTarget === true);
const GO_CANNOT_UNMARSHAL = (domain: string) => `lookup ${domain} on ${RESOLVER}: cannot unmarshal DNS message`;

const key = (recs: SrvData[] | null) => (recs ? recs.map((r) => `${r.priority} ${r.weight} ${r.port} ${r.target}`).sort().join('|') : 'none');

export function analyze(g: Gathered, opts: CheckOptions): CheckReport {
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);

  // Nameservers: reachable, authoritative, in agreement.
  const nameservers = g.nameservers.map((ns) => {
    const soa = g.soa.get(ns);
    const serial = soa?.ok ? Number(soa.answers.find((r) => r.type === 'SOA')?.rdata.split(' ')[2] ?? NaN) : NaN;
    let status = 'ok';
    if (!soa || !soa.ok) status = soa ? soa.error : 'no answer';
    else if (soa.rcode !== 'NOERROR') status = `answered ${soa.rcode} for the zone's SOA`;
    else if (!soa.aa) status = 'lame: answers without the AA flag, not authoritative for the zone';
    if (status !== 'ok') add({ severity: 'error', code: 'nameserver', nameserver: ns, message: `${ns}: ${status}` });
    return { name: ns, serial: Number.isNaN(serial) ? null : serial, status };
  });
  const serials = new Set(nameservers.map((n) => n.serial).filter((s) => s !== null));
  if (serials.size > 1) {
    add({ severity: 'warning', code: 'serial-mismatch', message: `nameservers report different SOA serials (${nameservers.map((n) => `${n.name}: ${n.serial}`).join(', ')}): a transfer is pending or stuck` });
  }
  const reference = nameservers.find((n) => n.status === 'ok')?.name ?? g.nameservers[0]!;

  for (const [name, byNs] of g.srv) {
    for (const [ns, r] of byNs) {
      if (!r.ok) add({ severity: 'error', code: 'nameserver', nameserver: ns, record: name, message: `${ns}: ${name} SRV: ${r.error}` });
      else if (r.rcode !== 'NOERROR' && r.rcode !== 'NXDOMAIN') add({ severity: 'error', code: 'nameserver', nameserver: ns, record: name, message: `${ns}: ${name} SRV: answered ${r.rcode}` });
      if (compressesSrvTargets(r)) add({ severity: 'error', code: 'srv-compressed', nameserver: ns, record: name, message: `${ns}: ${name} SRV: the answer compresses SRV targets (RFC 2782 forbids it); etcd and etcdctl reject it: "cannot unmarshal DNS message"` });
    }
    const answers = new Map([...byNs].map(([ns, r]) => [ns, key(srvRecordsOf(r, name))]));
    if (new Set(answers.values()).size > 1) {
      add({ severity: 'error', code: 'disagreement', record: name, message: `nameservers disagree on ${name} SRV: ${[...answers].map(([ns, k]) => `${ns}: ${k === 'none' ? 'none' : k.split('|').length + ' record(s)'}`).join('; ')}; members asking different servers build different clusters` });
    }
  }

  const view = viewFrom(g, reference);
  const read = serverNamesRead(opts.version, g.domain, opts.serviceName);
  const readNames = new Set(read.map((r) => r.name));
  const sslServer = srvName('server', true, opts.serviceName, g.domain);
  const plainServer = srvName('server', false, opts.serviceName, g.domain);
  const has = (name: string) => view.srv.get(name)?.ok === true;

  // Version traps.
  if (opts.version === '3.4' && !has(sslServer) && has(plainServer)) {
    add({ severity: 'error', code: 'etcd34-plain', record: plainServer, message: `etcd 3.4 ignores ${plainServer} (etcd-io/etcd#11321) and needs ${sslServer}: every member will exit` });
  }
  if (has(sslServer) && has(plainServer)) {
    add(
      opts.version === '3.4'
        ? { severity: 'warning', code: 'both-sets', message: `both ${sslServer} and ${plainServer} exist; etcd 3.4 reads only the -ssl set, 3.5+ would merge them` }
        : { severity: 'warning', code: 'both-sets', message: `both ${sslServer} and ${plainServer} exist: etcd ${opts.version} merges them, and temp names from each list collide into members with two URLs` },
    );
  }
  if (![...readNames].some(has)) add({ severity: 'error', code: 'no-srv', message: `no SRV records under ${[...readNames].join(' or ')}: etcd ${opts.version} has nothing to bootstrap from` });

  // SRV sets and their targets.
  const srv: SrvReport[] = [];
  for (const service of ['server', 'client'] as const) {
    for (const tls of [true, false]) {
      const name = srvName(service, tls, opts.serviceName, g.domain);
      const lookup = view.srv.get(name);
      const records = lookup?.ok ? lookup.records : [];
      const seen = new Set<string>();
      srv.push({
        name,
        scheme: tls ? 'https' : 'http',
        service,
        readByEtcd: readNames.has(name),
        status: statusOf(g.srv.get(name)?.get(reference)),
        records: records.map((r) => {
          const a = view.hosts.get(r.target);
          const addresses = a?.ok ? [...a.v4, ...a.v6] : [];
          let problem: string | undefined;
          const where = `${name} SRV ${r.priority} ${r.weight} ${r.port} ${r.target}.`;
          if (r.target === '') problem = 'the null target "." means "no service here" (RFC 2782)';
          else if (ipVersion(r.target)) problem = 'the target is an IP address; SRV targets must be host names with A/AAAA records';
          if (problem) add({ severity: 'error', code: 'target', record: where, message: `${where}: ${problem}` });
          else if (!a?.ok) {
            // etcd skips it silently; when it is a member's, that member's prediction says what follows.
            problem = 'the target has no A/AAAA record: etcd skips it silently';
            add({ severity: 'warning', code: 'target-unresolvable', record: where, message: `${where}: ${problem}` });
          }
          if (a?.ok && a.cname) add({ severity: 'warning', code: 'cname-target', record: where, message: `${where}: the target is a CNAME to ${a.cname}; RFC 2782 forbids aliases as SRV targets` });
          if (a?.ok && a.v4.length + a.v6.length > 1) add({ severity: 'warning', code: 'multi-address', record: where, message: `${where}: the target has ${a.v4.length + a.v6.length} addresses (${addresses.join(', ')}); etcd's result then depends on answer order` });
          const k = `${r.target}:${r.port}`;
          if (seen.has(k)) add({ severity: 'error', code: 'duplicate', record: where, message: `${where}: listed twice: etcd stops with "has duplicate url"` });
          seen.add(k);
          return { ...r, addresses, cname: a?.ok ? a.cname : undefined, problem };
        }),
      });
    }
  }
  if (opts.clientSrv !== false) {
    const clientName = srvName('client', opts.tls ?? has(sslServer), opts.serviceName, g.domain);
    if (opts.members && !has(clientName)) add({ severity: 'warning', code: 'no-client-srv', record: clientName, message: `${clientName} has no records: etcdctl --discovery-srv and clients cannot find the cluster` });
  }

  // Members: from the manifest, or one per SRV target etcd reads.
  let members: (MemberInput & { host: string; peerPort: number })[];
  let intended: IntendedMember[];
  if (opts.members) {
    members = opts.members;
    const scheme = opts.tls ? 'https' : 'http';
    intended = members.map((m) => ({ name: m.name, discoveryUrl: `${scheme}://${m.host}:${m.peerPort}` }));
  } else {
    members = [];
    const taken = new Set<string>();
    // Every server name, read or not: a member whose records etcd ignores still exits, and says so.
    const candidates = [
      { name: sslServer, scheme: 'https' },
      { name: plainServer, scheme: 'http' },
    ];
    for (const { name, scheme } of candidates) {
      const lookup = view.srv.get(name);
      if (!lookup?.ok) continue;
      for (const r of lookup.records) {
        if (r.target === '' || taken.has(r.target)) continue;
        taken.add(r.target);
        members.push({ name: r.target.split('.')[0]!, host: r.target, peerPort: r.port, state: 'new', advertisePeerUrls: [`${scheme}://${r.target}:${r.port}`] });
      }
    }
    intended = members.map((m) => ({ name: m.name, discoveryUrl: m.advertisePeerUrls[0]! }));
  }
  const predictions = members.map((m) => ({
    ...predictMember({ version: opts.version, domain: g.domain, serviceName: opts.serviceName, token: opts.token, member: m, view }),
    advertisePeerUrls: m.advertisePeerUrls,
  }));
  for (const p of predictions) {
    if (p.outcome === 'exits') add({ severity: 'error', code: 'member-exits', member: p.member, message: `${p.member} will exit: ${p.error}` });
    if (p.orderDependent) add({ severity: 'warning', code: 'order-dependent', member: p.member, message: `${p.member}: ${p.orderDependent}` });
  }
  const cluster = clusterVerdict(intended, predictions);
  for (const problem of cluster.problems) add({ severity: 'error', code: 'cluster', message: problem });

  return { domain: g.domain, zone: g.zone, version: opts.version, serviceName: opts.serviceName, membersFrom: opts.members ? 'manifest' : 'dns', nameservers, srv, members: predictions, cluster, findings };
}
