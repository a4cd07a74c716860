import { BlockList } from 'node:net';
import { ipVersion } from '../util/ip.js';
import type { EtcdVersion } from '../manifest/types.js';
import type { SrvData } from '../records/record.js';
import { hostAt, srvAt, type DnsView } from './dnsview.js';
import { clusterId, hexId, memberId } from './ids.js';

/**
 * etcd's DNS SRV bootstrap, one member at a time, as a pure function of what DNS says.
 * It follows ../shared/reference/etcd-srv-discovery.md and the code it was read from:
 * srv.GetCluster, Config.GetDNSClusterNames, PeerURLsMapAndToken, VerifyBootstrap.
 * Error strings are etcd's own; "<resolver>" stands for the member's resolver address.
 */
export interface MemberInput {
  name: string;
  /** --initial-advertise-peer-urls */
  advertisePeerUrls: string[];
  state: 'new' | 'existing';
}

export interface PredictInput {
  version: EtcdVersion;
  domain: string;
  serviceName: string;
  token: string;
  member: MemberInput;
  view: DnsView;
}

export interface MemberPrediction {
  member: string;
  /** exits: etcd stops with `error`; starts: it runs with `initialCluster` */
  outcome: 'starts' | 'exits';
  error?: string;
  /** the --initial-cluster etcd computes from DNS (name=url,...) */
  initialCluster?: string;
  /** name → peer URLs, as etcd groups them */
  cluster?: { name: string; urls: string[]; id: string }[];
  clusterId?: string;
  /** errors etcd computes and then drops (at most a log line) */
  swallowed: string[];
  /** depends on the order in which DNS returns addresses */
  orderDependent?: string;
}

export const RESOLVER = '<resolver>';

interface Resolved {
  addr?: string; // ip:port as Go prints a TCPAddr
  error?: string;
}

function joinHostPort(host: string, port: string | number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function splitHostPort(hostport: string): { host: string; port: string } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(hostport) ?? /^([^:]+):(\d+)$/.exec(hostport);
  return m ? { host: m[1]!, port: m[2]! } : { host: hostport, port: '' };
}

function noSuchHost(name: string): string {
  return `lookup ${name} on ${RESOLVER}: no such host`;
}

/**
 * IPv6 destinations Go's RFC 6724 sort (net/addrselect.go) puts below IPv4 (precedence 35):
 * ::/96 1, 2001::/32 5, 2002::/16 30, 3ffe::/16 1, fec0::/10 1, fc00::/7 3, and link-local
 * fe80::/10, which an AAAA cannot make usable (no zone). ::1 (50) and other global addresses
 * (::/0, 40) come before IPv4 — measured on etcd 3.4.23 and 3.5.16/3.5.30.
 */
const BELOW_IPV4 = (() => {
  const list = new BlockList();
  for (const [net, bits] of [['::', 96], ['2001::', 32], ['2002::', 16], ['3ffe::', 16], ['fec0::', 10], ['fc00::', 7], ['fe80::', 10]] as const) list.addSubnet(net, bits, 'ipv6');
  return list;
})();

/**
 * The address list as Go's resolver orders it: a stable sort by RFC 6724 precedence,
 * assuming the member has a route to each destination (rule 1 is the member's, not DNS's).
 */
function goAddressOrder(v4: readonly string[], v6: readonly string[]): string[] {
  const above = v6.filter((a) => !BELOW_IPV4.check(a, 'ipv6'));
  const below = v6.filter((a) => BELOW_IPV4.check(a, 'ipv6'));
  return [...above, ...v4, ...below];
}

/**
 * What one prediction of many shares with the others over the same DNS view: every member
 * resolves every SRV target, and most of them compute the same cluster entries and cluster
 * ID. Kept per view (a WeakMap: gone with the view), so N members cost N lookups of each
 * target rather than N resolutions, and the N² entries they list are N distinct objects.
 * A view is never changed once built (check/analyze.ts makes a new one per nameserver).
 */
interface ViewMemo {
  resolved: Map<string, Resolved>;
  /** token → name → URLs → the cluster entry */
  entries: Map<string, Map<string, Map<string, { name: string; urls: string[]; id: string }>>>;
  clusterIds: Map<string, string>;
  targets: WeakMap<readonly SrvData[], Target[]>;
  /** part text → [name, url], split at the first "=" as types.NewURLsMap does */
  splits: Map<string, [string, string]>;
  /** see mayRepeatUrls */
  repeats?: boolean;
  /** a temporary part text → its name as a number and as text, and its one URL */
  temps: Map<string, { n: number; name: string; urls: string[]; token?: string; entry?: ClusterEntry }>;
  /** a temporary part text → where it stands in a master */
  places: Map<string, { master: Master; rank: number }>;
}

/** One SRV target as discovery resolves it, and the part texts it has been given under temporary names. */
interface Target {
  r: Resolved;
  urlHost: string;
  /** by temporary name × 2 + (https ? 1 : 0): the same text object for every member that numbers it so */
  temp: Map<number, string>;
  /** its place among the answer's targets that resolve (-1: it does not) */
  rank: number;
  answer: Answer;
}

/** One SRV answer's resolving targets, and the --initial-cluster texts written from them. */
interface Answer {
  hosts: string[];
  /** by scheme and name offset (temporary name − rank) */
  masters: Map<string, Master>;
}

/**
 * Every resolving target of an answer as `<rank + offset>=<scheme>://<host>`, joined with
 * ",": a member's --initial-cluster is mostly runs of consecutive entries of one of these
 * (its own entry breaks the run, and the names after it are one lower), so it is built as
 * slices of this text joined to its own entries — a rope of a few pieces rather than a
 * copy of N entries for each of N members. The text is exactly what the parts say.
 */
interface Master {
  answer: Answer;
  scheme: string;
  offset: number;
  text?: string;
  start?: Int32Array;
  end?: Int32Array;
}

/** At most this many masters per answer and scheme: past it, members join their parts as before. */
const MAX_MASTERS = 8;

function masterOf(answer: Answer, scheme: string, offset: number): Master | undefined {
  const key = `${scheme} ${offset}`;
  let m = answer.masters.get(key);
  if (!m && answer.masters.size < 2 * MAX_MASTERS) {
    m = { answer, scheme, offset };
    answer.masters.set(key, m);
  }
  return m;
}

function masterText(m: Master): { text: string; start: Int32Array; end: Int32Array } {
  if (m.text === undefined) {
    const hosts = m.answer.hosts;
    const start = new Int32Array(hosts.length);
    const end = new Int32Array(hosts.length);
    const texts: string[] = [];
    let at = 0;
    hosts.forEach((h, rank) => {
      const t = `${rank + m.offset}=${m.scheme}://${h}`;
      start[rank] = at;
      end[rank] = at + t.length;
      at += t.length + 1;
      texts.push(t);
    });
    m.text = texts.join(',');
    m.start = start;
    m.end = end;
  }
  return { text: m.text, start: m.start!, end: m.end! };
}

/** parts.join(','), as slices of the masters where the parts run through one in order. */
function initialClusterOf(parts: readonly string[], places: Map<string, { master: Master; rank: number }>): string {
  let out = '';
  let first = true;
  const add = (piece: string) => {
    out = first ? piece : `${out},${piece}`;
    first = false;
  };
  let run: { master: Master; from: number; to: number } | undefined;
  const flush = () => {
    if (!run) return;
    const { text, start, end } = masterText(run.master);
    add(text.slice(start[run.from]!, end[run.to]!));
    run = undefined;
  };
  for (const p of parts) {
    const place = places.get(p);
    if (place && run && place.master === run.master && place.rank === run.to + 1) {
      run.to++;
      continue;
    }
    flush();
    if (place) run = { master: place.master, from: place.rank, to: place.rank };
    else add(p);
  }
  flush();
  return out;
}
const memos = new WeakMap<DnsView, ViewMemo>();

function memoOf(view: DnsView): ViewMemo {
  let m = memos.get(view);
  if (!m) {
    m = { resolved: new Map(), entries: new Map(), clusterIds: new Map(), targets: new WeakMap(), splits: new Map(), places: new Map(), temps: new Map() };
    memos.set(view, m);
  }
  return m;
}

/**
 * net.ResolveTCPAddr("tcp", ...) (discovery, preferV4): the first IPv4 address, else the
 * first address; the bootstrap check's resolver takes the first address in Go's order.
 */
function resolveTcp(view: DnsView, hostport: string, preferV4: boolean): Resolved {
  const memo = memoOf(view).resolved;
  const key = `${preferV4 ? '4' : '*'}${hostport}`;
  let r = memo.get(key);
  if (!r) {
    r = resolveTcpUncached(view, hostport, preferV4);
    memo.set(key, r);
  }
  return r;
}

function resolveTcpUncached(view: DnsView, hostport: string, preferV4: boolean): Resolved {
  const { host, port } = splitHostPort(hostport);
  const bare = host.replace(/\.$/, '');
  if (ipVersion(bare)) return { addr: joinHostPort(bare, port) };
  const a = hostAt(view, bare.toLowerCase());
  if (!a.ok || a.v4.length + a.v6.length === 0) return { error: noSuchHost(host) };
  const ip = preferV4 ? a.v4[0] ?? a.v6[0]! : goAddressOrder(a.v4, a.v6)[0]!;
  return { addr: joinHostPort(ip, port) };
}

function hostOf(url: string): string {
  return new URL(url).host;
}

function schemeOf(url: string): string {
  return new URL(url).protocol.slice(0, -1);
}

interface ServiceResult {
  parts: string[];
  error?: string;
}

/** One srv.GetCluster pass over one service; `counter` is the temp-name counter. */
function updateNodeMap(
  input: PredictInput,
  tcp2ap: Map<string, string>,
  service: string,
  scheme: string,
  counter: { n: number },
  parts: string[],
  swallowed: string[],
): string | undefined {
  const name = `_${service}._tcp.${input.domain}`;
  const lookup = srvAt(input.view, name);
  // Any other failure (a message Go cannot parse) is already etcd's own text.
  if (!lookup.ok) return lookup.error === 'no such host' ? noSuchHost(name) : lookup.error;
  if (lookup.records.length === 0) return noSuchHost(name);
  let err: string | undefined;
  for (const target of targetsOf(input.view, lookup.records)) {
    const { r, urlHost } = target;
    if (r.error) {
      err = r.error;
      continue;
    }
    const local = tcp2ap.get(r.addr!);
    if (local !== undefined && schemeOf(local) !== scheme) {
      err = `bootstrap at ${scheme}://${urlHost} from DNS for ${service} has scheme mismatch with expected peer ${local}`;
    } else if (local !== undefined) {
      parts.push(`${input.member.name}=${scheme}://${urlHost}`);
    } else {
      const n = counter.n++;
      const key = n * 2 + (scheme === 'https' ? 1 : 0);
      let text = target.temp.get(key);
      if (text === undefined) {
        text = `${n}=${scheme}://${urlHost}`;
        target.temp.set(key, text);
        memoOf(input.view).temps.set(text, { n, name: String(n), urls: [`${scheme}://${urlHost}`] });
        const master = masterOf(target.answer, scheme, n - target.rank);
        if (master) memoOf(input.view).places.set(text, { master, rank: target.rank });
      }
      parts.push(text);
    }
  }
  if (parts.length === 0) return err;
  if (err) swallowed.push(err);
  return undefined;
}

/** Each SRV record's target resolved (as discovery does) and written as a URL host, once per view and answer. */
function targetsOf(view: DnsView, records: readonly SrvData[]): Target[] {
  const targetLists = memoOf(view).targets;
  let list = targetLists.get(records);
  if (!list) {
    const answer: Answer = { hosts: [], masters: new Map() };
    list = records.map((srv) => {
      const port = String(srv.port);
      const r = resolveTcp(view, joinHostPort(`${srv.target}.`, port), true);
      const urlHost = joinHostPort(srv.target, port);
      const rank = r.error ? -1 : answer.hosts.push(urlHost) - 1;
      return { r, urlHost, temp: new Map(), rank, answer };
    });
    targetLists.set(records, list);
  }
  return list;
}

/**
 * Whether any SRV answer in the view lists one target:port twice. A member's URLs come
 * from one answer each (the ssl and plain lists differ in scheme), so without such an
 * answer no member's initial cluster can repeat a URL and the check need not be made N times.
 */
function mayRepeatUrls(view: DnsView): boolean {
  const memo = memoOf(view);
  if (memo.repeats === undefined) {
    memo.repeats = [...view.srv.values()].some((l) => {
      if (!l.ok) return false;
      const seen = new Set(l.records.map((r) => `${r.target.toLowerCase()}:${r.port}`));
      return seen.size !== l.records.length;
    });
  }
  return memo.repeats;
}

/** Resolves --initial-advertise-peer-urls; an error here is returned by etcd as it is. */
function advertiseMap(input: PredictInput): { map?: Map<string, string>; error?: string } {
  const map = new Map<string, string>();
  for (const url of input.member.advertisePeerUrls) {
    const r = resolveTcp(input.view, hostOf(url), true);
    if (r.error) return { error: r.error };
    map.set(r.addr!, url);
  }
  return { map };
}

/** Config.GetDNSClusterNames for each version: the cluster strings and the error etcd keeps. */
function dnsClusterNames(input: PredictInput, swallowed: string[]): { parts: string[]; error?: string; orderNote?: string } {
  const suffix = input.serviceName ? `-${input.serviceName}` : '';
  const ap = advertiseMap(input);
  if (input.version === '2.3') {
    if (!ap.map) return { parts: [], error: ap.error };
    // 2.3: one call reads both services with one shared counter and one list.
    const parts: string[] = [];
    const counter = { n: 0 };
    const errs: string[] = [];
    let fails = 0;
    const e1 = updateNodeMap(input, ap.map, 'etcd-server-ssl', 'https', counter, parts, swallowed);
    if (e1) {
      errs.push(`error querying DNS SRV records for _etcd-server-ssl ${e1}`);
      fails++;
    }
    const e2 = updateNodeMap(input, ap.map, 'etcd-server', 'http', counter, parts, swallowed);
    if (e2) {
      errs.push(`error querying DNS SRV records for _etcd-server ${e2}`);
      fails++;
    }
    if (fails === 2) return { parts: [], error: errs.join('\n') };
    swallowed.push(...errs);
    return { parts };
  }
  const getCluster = (service: string, scheme: string): ServiceResult => {
    if (!ap.map) return { parts: [], error: ap.error };
    const parts: string[] = [];
    const e = updateNodeMap(input, ap.map, service, scheme, { n: 0 }, parts, swallowed);
    return e ? { parts: [], error: `error querying DNS SRV records for _${service} ${e}` } : { parts };
  };
  const ssl = getCluster(`etcd-server-ssl${suffix}`, 'https');
  const plain = getCluster(`etcd-server${suffix}`, 'http');
  if (input.version === '3.4') {
    // etcd-io/etcd#11321: the condition is inverted, so plain results are dropped when the lookup works.
    if (plain.error === undefined && plain.parts.length > 0) swallowed.push(`_etcd-server${suffix}._tcp records ignored (etcd 3.4 reads only _etcd-server-ssl)`);
    return { parts: ssl.parts, error: ssl.error };
  }
  const errors = [ssl.error, plain.error].filter((e): e is string => !!e);
  const parts = [...ssl.parts, ...plain.parts];
  if (parts.length > 0) swallowed.push(...errors);
  const orderNote = mergeOrderNote(input, [`_etcd-server-ssl${suffix}._tcp.${input.domain}`, ssl.parts], [`_etcd-server${suffix}._tcp.${input.domain}`, plain.parts]);
  return { parts, error: errors.length ? errors.join('; ') : undefined, orderNote };
}

/**
 * 3.5+ merges the two lists' temp names ("0" of each becomes one member), in the order DNS
 * answers. Go sorts SRV answers by priority only, so with equal priorities a rotating
 * server (BIND by default) pairs other entries on each query: seen on real 3.5.16 and 3.5.30.
 */
function mergeOrderNote(input: PredictInput, ...lists: [string, string[]][]): string | undefined {
  if (lists.some(([, parts]) => parts.length === 0)) return undefined; // no temporary names to merge: skip counting them
  const own = `${input.member.name}=`;
  const temps = lists.map(([, parts]) => parts.filter((p) => !p.startsWith(own)).length);
  if (temps.some((n) => n === 0) || temps.every((n) => n < 2)) return undefined;
  const rotates = lists.some(([name], i) => {
    const l = srvAt(input.view, name);
    const priorities = l.ok ? l.records.map((r) => r.priority) : [];
    return temps[i]! >= 2 && new Set(priorities).size < priorities.length;
  });
  if (!rotates) return undefined;
  return `etcd ${input.version} merges the temporary names of the ${lists.map(([n]) => n.split('.')[0]).join(' and ')} entries ("0", "1", … restart in each list) in the order DNS answers; with equal SRV priorities that order changes between queries, so which entries merge, and the member and cluster IDs shown, can differ from what this member computes`;
}

/** types.NewURLsMap: names in first-seen order, URLs sorted per name. */
function urlsMap(parts: string[], splits: Map<string, [string, string]>): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const p of parts) {
    let split = splits.get(p);
    if (!split) {
      const i = p.indexOf('=');
      split = [p.slice(0, i), p.slice(i + 1)];
      splits.set(p, split);
    }
    const [name, url] = split;
    const urls = m.get(name);
    if (urls) urls.push(url);
    else m.set(name, [url]);
  }
  for (const v of m.values()) if (v.length > 1) v.sort();
  return m;
}

function urlsMapString(m: Map<string, string[]>): string {
  return [...m]
    .flatMap(([name, urls]) => urls.map((u) => `${name}=${u}`))
    .sort()
    .join(',');
}

function goQuote(list: string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** ServerConfig.advertiseMatchesCluster: advertise URLs and the member's entries, resolved again (first address). */
function advertiseMatches(input: PredictInput, m: Pick<Map<string, string[]>, 'get'>): { error?: string; orderDependent?: string } {
  const name = input.member.name;
  const urls = [...(m.get(name) ?? [])].sort();
  const apurls = [...input.member.advertisePeerUrls].sort();
  let cmpErr: string | undefined;
  if (urls.length !== apurls.length) {
    cmpErr = `len(${goQuote(apurls)}) != len(${goQuote(urls)})`;
  } else {
    const resolve = (list: string[]) =>
      list.map((u) => {
        const r = resolveTcp(input.view, hostOf(u), false);
        return r.error ? { error: r.error } : { url: `${schemeOf(u)}://${r.addr}` };
      });
    const a = resolve(apurls);
    const b = resolve(urls);
    const failed = [...a, ...b].find((x) => x.error);
    if (failed) cmpErr = failed.error;
    else {
      const ra = a.map((x) => x.url!).sort();
      const rb = b.map((x) => x.url!).sort();
      // netutil.urlsEqual names the first pair that differs (seen on real 3.4 and 3.5)
      const i = ra.findIndex((x, k) => x !== rb[k]);
      if (i >= 0) cmpErr = `resolved urls: ${JSON.stringify(ra[i])} != ${JSON.stringify(rb[i])}`;
    }
  }
  if (!cmpErr) return {};
  const ap = new Set(input.member.advertisePeerUrls);
  const init = new Set(urls);
  const missing = [...init].filter((u) => !ap.has(u));
  if (missing.length) {
    return { error: `--initial-cluster has ${missing.map((u) => `${name}=${u}`).join(',')} but missing from --initial-advertise-peer-urls=${apurls.join(',')} (${cmpErr})` };
  }
  const extra = [...ap].filter((u) => !init.has(u));
  const umap = urlsMapString(new Map([[name, [...input.member.advertisePeerUrls].sort()]]));
  if (extra.length) return { error: `--initial-advertise-peer-urls has ${extra.join(',')} but missing from --initial-cluster=${umap}` };
  return { error: `failed to resolve ${apurls.join(',')} to match --initial-cluster=${umap} (${cmpErr})` };
}

/** A host with several addresses is resolved twice, each time taking what comes first. */
function orderDependence(input: PredictInput, m: Pick<Map<string, string[]>, 'get'>): string | undefined {
  const hosts = new Set<string>();
  for (const u of [...(m.get(input.member.name) ?? []), ...input.member.advertisePeerUrls]) {
    const h = new URL(u).hostname.replace(/^\[|\]$/g, '');
    if (!ipVersion(h)) hosts.add(h.toLowerCase());
  }
  const multi = [...hosts].filter((h) => {
    const a = hostAt(input.view, h);
    return a.ok && a.v4.length + a.v6.length > 1;
  });
  if (multi.length === 0) return undefined;
  const detail = multi
    .map((h) => {
      const a = hostAt(input.view, h);
      return a.ok ? `${h} has ${[...a.v4, ...a.v6].join(', ')}` : h;
    })
    .join('; ');
  return `${detail}: discovery takes the first IPv4 address, the bootstrap check takes whatever address comes first; when the server rotates its answers, the member finds itself only if both pick the address it advertises`;
}

type ClusterEntry = { name: string; urls: string[]; id: string };

/**
 * types.NewURLsMap's grouping without a map, when it is plain: every part is a temporary
 * name (in increasing order, so each its own group) or the member's own name (not a number
 * and without "=", so it cannot meet a temporary name), the own group standing where its
 * first part stands. Anything else (two lists each counting from 0, odd names) returns
 * undefined and goes the general way.
 */
function fastGroups(parts: readonly string[], ownName: string, token: string, temps: ViewMemo['temps'], intern: (name: string, urls: string[]) => ClusterEntry): { cluster: ClusterEntry[]; own: string[] | undefined } | undefined {
  if (/^\d+$/.test(ownName) || ownName.includes('=')) return undefined;
  const prefix = `${ownName}=`;
  const cluster: (ClusterEntry | null)[] = [];
  const ownUrls: string[] = [];
  let ownAt = -1;
  let last = -1;
  for (const p of parts) {
    const t = temps.get(p);
    if (t) {
      if (t.n <= last) return undefined;
      last = t.n;
      // The entry depends on the token too: kept for the last token asked.
      if (t.token !== token) {
        t.entry = intern(t.name, t.urls);
        t.token = token;
      }
      cluster.push(t.entry!);
      continue;
    }
    if (!p.startsWith(prefix)) return undefined;
    if (ownAt < 0) {
      ownAt = cluster.length;
      cluster.push(null);
    }
    ownUrls.push(p.slice(prefix.length));
  }
  if (ownAt >= 0) {
    if (ownUrls.length > 1) ownUrls.sort();
    cluster[ownAt] = intern(ownName, ownUrls);
  }
  return { cluster: cluster as ClusterEntry[], own: ownAt >= 0 ? ownUrls : undefined };
}

export function predictMember(input: PredictInput): MemberPrediction {
  const swallowed: string[] = [];
  const base = { member: input.member.name, swallowed };
  const { parts, error, orderNote } = dnsClusterNames(input, swallowed);
  if (parts.length === 0) return { ...base, outcome: 'exits', error: error ?? `cannot find local etcd member "${input.member.name}" in SRV records` };
  const memo = memoOf(input.view);
  let grouped: Map<string, string[]> | undefined;
  const m = () => (grouped ??= urlsMap(parts, memo.splits));
  const initialCluster = initialClusterOf(parts, memo.places);
  let byName = memo.entries.get(input.token);
  if (!byName) memo.entries.set(input.token, (byName = new Map()));
  const names = byName;
  const intern = (name: string, urls: string[]) => {
    let byUrls = names.get(name);
    if (!byUrls) names.set(name, (byUrls = new Map()));
    const key = urls.length === 1 ? urls[0]! : urls.join(' ');
    let entry = byUrls.get(key);
    if (!entry) {
      entry = { name, urls, id: hexId(memberId(urls, input.token)) };
      byUrls.set(key, entry);
    }
    return entry;
  };
  const fast = fastGroups(parts, input.member.name, input.token, memo.temps, intern);
  const cluster = fast ? fast.cluster : [...m()].map(([name, urls]) => intern(name, urls));
  const own: Pick<Map<string, string[]>, 'get'> = fast ? { get: (k) => (k === input.member.name ? fast.own : m().get(k)) } : m();
  // The cluster ID depends only on the member IDs (the URL groups and the token), not on the (temporary) names.
  const idKey = cluster.map((e) => e.id).join(',');
  let cid = memo.clusterIds.get(idKey);
  if (cid === undefined) {
    cid = hexId(clusterId(cluster.map((e) => memberId(e.urls, input.token))));
    memo.clusterIds.set(idKey, cid);
  }
  const shared = { ...base, initialCluster, cluster, clusterId: cid };
  if (own.get(input.member.name) === undefined) return { ...shared, outcome: 'exits', error: `cannot find local etcd member "${input.member.name}" in SRV records` };
  const orderDependent = [orderDependence(input, own), orderNote].filter(Boolean).join('; ') || undefined;
  if (input.member.state === 'new') {
    const match = advertiseMatches(input, own);
    if (match.error) return { ...shared, outcome: 'exits', error: match.error, orderDependent };
    const all = mayRepeatUrls(input.view) ? [...m().values()].flat() : [];
    if (new Set(all).size !== all.length) return { ...shared, outcome: 'exits', error: `initial cluster ${urlsMapString(m())} has duplicate url`, orderDependent };
  }
  return { ...shared, outcome: 'starts', orderDependent };
}
