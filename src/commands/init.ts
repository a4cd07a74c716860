import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EXIT, SrvctlError } from '../errors.js';
import { formatFinding, parseManifest } from '../manifest/load.js';
import type { Context } from './context.js';

export interface InitFlags {
  domain?: string;
  members?: string;
  provider?: string;
  cluster?: string;
  out?: string;
}

const PROVIDERS = ['zonefile', 'rfc2136', 'powerdns', 'cloudflare'] as const;
type ProviderType = (typeof PROVIDERS)[number];
const MAX_MEMBERS = 250; // the starter numbers addresses 10.0.0.1 … 10.0.0.N

const CLUSTER_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Writes a commented starter manifest; refuses (exit 64) when the file exists. */
export async function init(ctx: Context, flags: InitFlags): Promise<number> {
  const domain = (flags.domain ?? 'etcd.example.com').replace(/\.$/, '').toLowerCase();
  const count = Number(flags.members ?? '3');
  if (!Number.isInteger(count) || count < 1 || count > MAX_MEMBERS) throw new SrvctlError('usage', `--members "${flags.members}" must be a whole number from 1 to ${MAX_MEMBERS}`);
  const provider = (flags.provider ?? 'zonefile') as ProviderType;
  if (!PROVIDERS.includes(provider)) throw new SrvctlError('usage', `--provider "${flags.provider}" must be one of ${PROVIDERS.join(', ')}`);
  const firstLabel = domain.split('.')[0]!;
  const cluster = flags.cluster ?? (CLUSTER_ID.test(firstLabel) ? firstLabel : 'etcd');
  const out = flags.out ?? 'cluster.yaml';
  const text = starter({ domain, count, provider, cluster, file: out === '-' ? 'cluster.yaml' : basename(out) });

  // What init writes must pass validate; a bad --domain or --cluster shows up here, before any file exists.
  const { manifest, findings } = parseManifest(out === '-' ? 'cluster.yaml' : out, text);
  if (!manifest) {
    throw new SrvctlError('usage', `--domain "${domain}" / --cluster "${cluster}" do not make a valid manifest`, findings.filter((f) => f.severity === 'error').map(formatFinding));
  }
  if (out === '-') {
    if (ctx.json) ctx.emit({ file: null, cluster, domain, provider, members: count, text });
    else ctx.out(text);
    return EXIT.ok;
  }
  await writeNew(out, text);
  ctx.err(`wrote ${out}: cluster ${cluster}, ${count} member(s), provider ${provider}. Next: srvctl validate ${out}; srvctl plan ${out}\n`);
  if (ctx.json) ctx.emit({ file: out, cluster, domain, provider, members: count });
  return EXIT.ok;
}

/**
 * Creates `path` with `text`, all or nothing, and never replaces an existing file: the
 * text goes to a temp file that is then hard-linked to the name (link fails if the name
 * exists, atomically, where open+check would race).
 */
async function writeNew(path: string, text: string): Promise<void> {
  const exists = () => new SrvctlError('usage', `${path} exists: srvctl init never overwrites a file (remove it, or give --out another name)`);
  try {
    await fs.lstat(path);
    throw exists();
  } catch (e) {
    if (e instanceof SrvctlError) throw e;
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await fs.writeFile(tmp, text, { flag: 'wx', mode: 0o644 });
    await fs.link(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
    throw new SrvctlError('io', `cannot write ${path}: ${(e as Error).message}`);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

function providerBlock(provider: ProviderType, domain: string): string {
  const zone = `  zone: ${domain}`.padEnd(31) + ' # the zone that holds the domain (often its parent, e.g. example.com)';
  switch (provider) {
    case 'zonefile':
      return `provider:
  type: zonefile                # a master file srvctl edits, served by \`srvctl serve\` (or BIND)
${zone}
  # path: ./${domain}.zone      # default: <zone>.zone next to this file
`;
    case 'rfc2136':
      return `provider:
  type: rfc2136                 # BIND, Knot or PowerDNS through signed dynamic updates
${zone}
  server: 192.0.2.53            # the primary nameserver (replace)
  tsig:
    name: srvctl                # the key's name on the server
    algorithm: hmac-sha256
    # The secret never goes here. srvctl reads the variable SRVCTL_TSIG, or under systemd
    # the credential of that name (LoadCredential=SRVCTL_TSIG:/etc/srvctl/tsig.key).
    secretEnv: SRVCTL_TSIG      # or secretFile: /etc/srvctl/tsig.key (mode 0600)
`;
    case 'powerdns':
      return `provider:
  type: powerdns                # the PowerDNS HTTP API
${zone}
  url: http://127.0.0.1:8081    # the API (replace)
  serverId: localhost
  apiKeyEnv: PDNS_API_KEY       # the variable (or systemd credential) holding the API key
`;
    case 'cloudflare':
      return `provider:
  type: cloudflare
${zone}
  tokenEnv: CLOUDFLARE_API_TOKEN   # the variable (or systemd credential) holding a token with Zone:Read and DNS:Edit
`;
  }
}

function starter(o: { domain: string; count: number; provider: ProviderType; cluster: string; file: string }): string {
  const members = Array.from({ length: o.count }, (_, i) => {
    const n = i + 1;
    return `  - name: node${n}
    host: node${n}.${o.domain}
${`    ipv4: 10.0.0.${n}`.padEnd(31)} # the member's address (replace); srvctl manages its A record
`;
  }).join('');
  return `# yaml-language-server: $schema=./cluster.schema.json
# A starter manifest from \`srvctl init\`. Editor support: srvctl schema > cluster.schema.json
# Then: srvctl validate ${o.file}; srvctl plan ${o.file}; srvctl sync ${o.file} --yes
version: 1
${`cluster: ${o.cluster}`.padEnd(31)} # owner id of the records srvctl writes: keep it once synced
${`domain: ${o.domain}`.padEnd(31)} # the members' --discovery-srv domain
ttl: 300
etcd:
  version: "3.5"                # 2.3 | 3.4 | 3.5 | 3.6: what the members run
  tls: false                    # true: _etcd-server-ssl records and https URLs
  # serviceName: ""             # --discovery-srv-name
${`  # token: ${o.cluster}`.padEnd(31)} # initial-cluster-token (default: cluster)
${providerBlock(o.provider, o.domain)}members:                        # an odd count: 3 or 5 members keep quorum through failures
${members}  # Per member also: advertisePeerUrl, peerPort (2380), clientPort (2379), priority,
  # weight, ipv6, state: existing (a member joining a running cluster)
verify:
  timeout: 2s                   # per query try, on every authoritative nameserver
  retries: 2
  wait: 120s                    # how long sync waits for every nameserver to answer
`;
}
