import { SrvctlError } from '../errors.js';
import { memberPlaceholders, templatePieces, type Placeholder } from '../manifest/render-keys.js';
import type { BootstrapMode, Manifest, Member, RenderKeys } from '../manifest/types.js';
import { join, lit, type Settings, type Slot, type Text, type Value } from './text.js';

export interface RenderOptions {
  /** overrides the manifest's bootstrap (the legacy `--format static`) */
  bootstrap?: BootstrapMode;
}

export function scheme(m: Manifest): 'https' | 'http' {
  return m.etcd.tls ? 'https' : 'http';
}

const DEFAULT_RENDER: RenderKeys = { certDir: '/etc/ssl/etcd' };

/** What one document is written for: a member, or every member at once (slots). */
interface Subject {
  /** null: the document names nobody (a shared document where the consumer has no name slot) */
  name: Text;
  vars: Record<Placeholder, Text | undefined>;
  advertisePeerUrl: Text;
  advertiseClientUrl: Text;
  state: Member['state'];
  /** where a placeholder cannot be filled, why */
  missing(p: Placeholder): string;
}

function fill(template: string, who: Subject, what: string): Text {
  const out: (string | Slot)[] = [];
  const { pieces, unknown } = templatePieces(template);
  // validate reports these with their place; a manifest built by hand must not lose text
  if (unknown.length) throw new SrvctlError('manifest', `render.${what}: unknown placeholder ${unknown[0]}`);
  for (const p of pieces) {
    if (typeof p === 'string') out.push(p);
    else {
      const v = who.vars[p.placeholder];
      if (!v) throw new SrvctlError('usage', `render.${what}: ${who.missing(p.placeholder)}`);
      out.push(...v);
    }
  }
  return out;
}

/** initial-cluster from the manifest; refuses what would add or rename an entry. */
export function initialCluster(m: Manifest): Text {
  for (const x of m.members) {
    // etcd splits initial-cluster at "," and each entry at the first "=": either in a
    // name or a URL would smuggle in another member (issue: ",evil=http://10.6.6.6:2380").
    if (/[,=\s]/.test(x.name)) throw new SrvctlError('manifest', `member "${x.name}": a name with ",", "=" or whitespace cannot be written into initial-cluster`);
    if (/[,\s]/.test(x.advertisePeerUrl)) throw new SrvctlError('manifest', `member "${x.name}": advertisePeerUrl ${JSON.stringify(x.advertisePeerUrl)} holds "," or whitespace: initial-cluster would read another entry from it`);
  }
  return join(m.members.map((x) => lit(`${x.name}=${x.advertisePeerUrl}`)), ',');
}

function settingsFor(m: Manifest, who: Subject, mode: BootstrapMode): Settings {
  const r = m.render ?? DEFAULT_RENDER;
  const out: Settings = [];
  const add = (key: string, value: Value) => out.push({ key, value });
  add('name', who.name);
  if (r.dataDir) add('data-dir', fill(r.dataDir, who, 'dataDir'));
  if (mode === 'static' || (mode === 'discovery' && who.state === 'existing')) {
    // A member joining a running cluster reads its peers from initial-cluster (what
    // `etcdctl member add` prints): discovery is for founding a cluster only.
    add('initial-cluster', initialCluster(m));
  } else if (mode === 'discovery') {
    if (!m.discoveryUrl) throw new SrvctlError('manifest', `${m.file}: bootstrap: discovery needs discoveryUrl`);
    add('discovery', lit(m.discoveryUrl));
  } else {
    add('discovery-srv', lit(m.domain));
    if (m.etcd.serviceName) add('discovery-srv-name', lit(m.etcd.serviceName));
  }
  add('initial-advertise-peer-urls', who.advertisePeerUrl);
  add('initial-cluster-token', lit(m.etcd.token));
  // "existing" joins a running cluster; "new" on a joining member founds a second one.
  add('initial-cluster-state', lit(who.state));
  add('advertise-client-urls', who.advertiseClientUrl);
  const urls = (list: string[] | undefined, fallback: string, what: string) => join((list ?? [fallback]).map((u) => fill(u, who, what)), ',');
  add('listen-client-urls', urls(r.listenClientUrls, '{scheme}://0.0.0.0:{clientPort}', 'listenClientUrls'));
  const peerDefault = who.vars.ipv4 ? '{scheme}://{ipv4}:{peerPort}' : who.vars.ipv6 ? '{scheme}://{ipv6}:{peerPort}' : '{scheme}://0.0.0.0:{peerPort}';
  add('listen-peer-urls', urls(r.listenPeerUrls, peerDefault, 'listenPeerUrls'));
  if (m.etcd.tls && m.etcd.autoTls) {
    add('auto-tls', true);
    add('peer-auto-tls', true);
  } else if (m.etcd.tls) {
    const file = (v: string | undefined, fallback: string, what: string) => fill(v ?? fallback, who, what);
    add('cert-file', file(r.certFile, '{certDir}/{name}.crt', 'certFile'));
    add('key-file', file(r.keyFile, '{certDir}/{name}.key', 'keyFile'));
    add('trusted-ca-file', file(r.trustedCaFile, '{certDir}/ca.crt', 'trustedCaFile'));
    add('client-cert-auth', true);
    add('peer-cert-file', file(r.peerCertFile, '{certDir}/{name}-peer.crt', 'peerCertFile'));
    add('peer-key-file', file(r.peerKeyFile, '{certDir}/{name}-peer.key', 'peerKeyFile'));
    add('peer-trusted-ca-file', file(r.peerTrustedCaFile, '{certDir}/ca.crt', 'peerTrustedCaFile'));
    add('peer-client-cert-auth', true);
  }
  return out;
}

export function bootstrapMode(m: Manifest, opts: RenderOptions = {}): BootstrapMode {
  return opts.bootstrap ?? m.bootstrap ?? 'srv';
}

/** The etcd settings of one member, in the order operators read them. */
export function memberSettings(m: Manifest, member: Member, opts: RenderOptions = {}): Settings {
  const r = m.render ?? DEFAULT_RENDER;
  const values = memberPlaceholders(m, member, r.certDir);
  const vars = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v === undefined ? undefined : lit(v)])) as Record<Placeholder, Text | undefined>;
  // certDir may itself hold placeholders ({name}): fill it first
  if (r.certDir.includes('{')) vars.certDir = fill(r.certDir, { vars, missing: (p) => `member "${member.name}" has no ${p}` } as Subject, 'certDir');
  return settingsFor(
    m,
    {
      name: lit(member.name),
      vars,
      advertisePeerUrl: lit(member.advertisePeerUrl),
      advertiseClientUrl: lit(member.advertiseClientUrl),
      state: member.state,
      missing: (p) => `member "${member.name}" has no ${p}`,
    },
    bootstrapMode(m, opts),
  );
}

const PRIVATE_IPV4: Slot = { slot: 'privateIpv4' };
const NAME: Slot = { slot: 'name' };

/**
 * One document for every member: the address and the name are slots the consumer fills.
 * Returns why not when the members differ in anything but those.
 */
export function sharedSettings(m: Manifest, opts: RenderOptions = {}): Settings | string {
  const mode = bootstrapMode(m, opts);
  const first = m.members[0]!;
  const s = scheme(m);
  if (mode === 'static') return 'a static initial-cluster names every member, and etcd requires --name to equal its own entry: render per member';
  if (m.etcd.tls && !m.etcd.autoTls) return 'with TLS certificate files each member has its own certificate paths: render per member (or use etcd.autoTls)';
  const differ = m.members.find((x) => x.peerPort !== first.peerPort || x.clientPort !== first.clientPort || x.state !== first.state);
  if (differ) return `member "${differ.name}" differs from "${first.name}" in ports or state: render per member`;
  if (mode === 'discovery' && first.state === 'existing') return 'joining members read initial-cluster, which names every member: render per member';
  const noV4 = m.members.find((x) => !x.ipv4);
  if (noV4) return `member "${noV4.name}" has no ipv4: the shared document advertises the machine's private IPv4, which must be what its host resolves to`;
  const custom = m.members.find((x) => x.advertisePeerUrl !== `${s}://${x.host}:${x.peerPort}`);
  if (custom) return `member "${custom.name}" sets its own advertisePeerUrl: render per member`;
  const r = m.render ?? DEFAULT_RENDER;
  const vars: Record<Placeholder, Text | undefined> = {
    name: [NAME],
    host: undefined,
    ipv4: [PRIVATE_IPV4],
    ipv6: undefined,
    clientPort: lit(String(first.clientPort)),
    peerPort: lit(String(first.peerPort)),
    scheme: lit(s),
    certDir: lit(r.certDir),
  };
  return settingsFor(
    m,
    {
      name: [NAME],
      vars,
      // The SRV match is by address: the private IPv4 must be what the member's host resolves to.
      advertisePeerUrl: [`${s}://`, PRIVATE_IPV4, `:${first.peerPort}`],
      advertiseClientUrl: [`${s}://`, PRIVATE_IPV4, `:${first.clientPort}`],
      state: first.state,
      missing: (p) => `{${p}} differs per member and no consumer fills it in a shared document: render per member`,
    },
    mode,
  );
}
