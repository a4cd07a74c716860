import type { Path, SourceMap } from './positions.js';
import type { BootstrapMode, Finding, Manifest, Member, RenderKeys } from './types.js';
import { ipVersion } from '../util/ip.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

/** Placeholders a `render:` value may hold; each is filled per member by src/render. */
export const PLACEHOLDERS = ['name', 'host', 'ipv4', 'ipv6', 'clientPort', 'peerPort', 'scheme', 'certDir'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export type TemplatePiece = string | { placeholder: Placeholder };

/** "https://{ipv4}:{clientPort}" as literal text and placeholders; unknown names are errors. */
export function templatePieces(template: string): { pieces: TemplatePiece[]; unknown: string[] } {
  const pieces: TemplatePiece[] = [];
  const unknown: string[] = [];
  let rest = template;
  for (let m = /\{([A-Za-z0-9]*)\}/.exec(rest); m; m = /\{([A-Za-z0-9]*)\}/.exec(rest)) {
    if (m.index > 0) pieces.push(rest.slice(0, m.index));
    if ((PLACEHOLDERS as readonly string[]).includes(m[1]!)) pieces.push({ placeholder: m[1] as Placeholder });
    else unknown.push(m[0]);
    rest = rest.slice(m.index + m[0].length);
  }
  if (rest) pieces.push(rest);
  return { pieces, unknown };
}

/** The value of each placeholder for one member (undefined: the member has none). */
export function memberPlaceholders(m: Manifest, member: Member, certDir: string): Record<Placeholder, string | undefined> {
  return {
    name: member.name,
    host: member.host,
    ipv4: member.ipv4,
    ipv6: member.ipv6 ? `[${member.ipv6}]` : undefined,
    clientPort: String(member.clientPort),
    peerPort: String(member.peerPort),
    scheme: m.etcd.tls ? 'https' : 'http',
    certDir,
  };
}

export function fillForMember(template: string, values: Record<Placeholder, string | undefined>): string | { missing: Placeholder } {
  let out = '';
  for (const p of templatePieces(template).pieces) {
    if (typeof p === 'string') out += p;
    else {
      const v = values[p.placeholder];
      if (v === undefined) return { missing: p.placeholder };
      out += v;
    }
  }
  return out;
}

const FILE_KEYS = ['certFile', 'keyFile', 'trustedCaFile', 'peerCertFile', 'peerKeyFile', 'peerTrustedCaFile'] as const;

/**
 * Interprets `bootstrap`, `discoveryUrl` and `render:` (already schema-checked) onto the
 * manifest, and gives the advice that belongs to them (dual-stack members). Every value
 * is filled for every member here, so a render cannot fail on a template later.
 */
export function interpretRenderKeys(raw: Raw, manifest: Manifest, src: SourceMap): Finding[] {
  const findings: Finding[] = [];
  const error = (path: Path, message: string) => findings.push({ severity: 'error', where: src.where(path), message });
  const warning = (path: Path, message: string) => findings.push({ severity: 'warning', where: src.where(path), message });

  const bootstrap: BootstrapMode = raw.bootstrap ?? 'srv';
  manifest.bootstrap = bootstrap;
  if (bootstrap === 'discovery') {
    if (raw.discoveryUrl === undefined) error(['bootstrap'], 'bootstrap: discovery needs discoveryUrl (the v2 discovery URL every member registers at)');
    else {
      const problem = discoveryUrlProblem(raw.discoveryUrl);
      if (problem) error(['discoveryUrl'], `discoveryUrl: ${problem}`);
      manifest.discoveryUrl = raw.discoveryUrl;
    }
  } else if (raw.discoveryUrl !== undefined) {
    warning(['discoveryUrl'], `discoveryUrl is used only with bootstrap: discovery (this manifest bootstraps by ${bootstrap})`);
  }

  const r = raw.render ?? {};
  const keys: RenderKeys = { certDir: r.certDir ?? '/etc/ssl/etcd' };
  const list = (v: unknown) => (v === undefined ? undefined : Array.isArray(v) ? (v as string[]) : [v as string]);
  keys.listenClientUrls = list(r.listenClientUrls);
  keys.listenPeerUrls = list(r.listenPeerUrls);
  if (r.dataDir !== undefined) keys.dataDir = r.dataDir;
  for (const k of FILE_KEYS) if (r[k] !== undefined) keys[k] = r[k];
  manifest.render = keys;

  const scheme = manifest.etcd.tls ? 'https' : 'http';
  const check = (path: Path, template: string, kind: 'url' | 'path') => {
    const { unknown } = templatePieces(template);
    if (unknown.length) {
      error(path, `unknown placeholder ${unknown[0]} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`);
      return;
    }
    for (const member of manifest.members) {
      const filled = fillForMember(template, memberPlaceholders(manifest, member, keys.certDir));
      if (typeof filled !== 'string') {
        error(path, `member "${member.name}" has no ${filled.missing} for {${filled.missing}}`);
        return;
      }
      const problem = kind === 'url' ? listenUrlProblem(filled, scheme) : pathProblem(filled);
      if (problem) {
        error(path, `${JSON.stringify(filled)} (member "${member.name}"): ${problem}`);
        return;
      }
    }
  };
  (keys.listenClientUrls ?? []).forEach((u, i) => check(['render', 'listenClientUrls', ...(Array.isArray(r.listenClientUrls) ? [i] : [])], u, 'url'));
  (keys.listenPeerUrls ?? []).forEach((u, i) => check(['render', 'listenPeerUrls', ...(Array.isArray(r.listenPeerUrls) ? [i] : [])], u, 'url'));
  if (keys.dataDir !== undefined) check(['render', 'dataDir'], keys.dataDir, 'path');
  if (r.certDir !== undefined) check(['render', 'certDir'], keys.certDir, 'path');
  for (const k of FILE_KEYS) if (keys[k] !== undefined) check(['render', k], keys[k]!, 'path');
  if (!manifest.etcd.tls && FILE_KEYS.some((k) => r[k] !== undefined)) {
    warning(['render'], 'certificate paths are used only with etcd.tls: true');
  }

  manifest.members.forEach((member, i) => {
    if (member.ipv4 && member.ipv6) {
      warning(
        ['members', i, 'ipv6'],
        `member "${member.name}" has ipv4 and ipv6: srvctl publishes A and AAAA for ${member.host}. etcd finds itself in SRV by the IPv4 address (Go's ResolveTCPAddr prefers IPv4), ` +
          `but its bootstrap check (advertiseMatchesCluster) resolves the peer URLs again and compares the FIRST address returned, which for a host with a global AAAA is usually the IPv6 one; ` +
          'make advertisePeerUrl an IP literal, or publish one family for the SRV target',
      );
    }
  });
  return findings;
}

function discoveryUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `scheme ${url.protocol.slice(0, -1)}: etcd's v2 discovery speaks http or https`;
  if (url.search || url.hash || text.includes('#') || text.includes('?')) return 'a query or fragment is not part of a discovery token; etcd appends its member keys to the path';
  if (url.username || url.password) return 'credentials in the URL would be copied into every rendered config';
  if (url.pathname === '/' || url.pathname === '') return 'no token path (expected https://discovery.etcd.io/<token> or <etcd>/v2/keys/<dir>/<token>)';
  return null;
}

function listenUrlProblem(text: string, scheme: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== `${scheme}:`) return `scheme ${url.protocol.slice(0, -1)} does not match etcd.tls (${scheme})`;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // etcd's checkBindURLs (embed/config.go): an IP or "localhost", else "expected IP in URL for binding"
  if (!ipVersion(host) && host !== 'localhost') return 'etcd binds only to an IP address (0.0.0.0, [::] or one of the host\'s) or localhost';
  if (!url.port) return 'no port';
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password || /[/?#]$/.test(text)) return 'a listen URL is scheme://ip:port and nothing else';
  return null;
}

function pathProblem(text: string): string | null {
  if (!text.startsWith('/')) return 'not an absolute path (services do not start in a known directory)';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) return 'control characters in a path';
  return null;
}
