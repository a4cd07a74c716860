/** The manifest after schema, defaults and semantic checks: what the rest of srvctl reads. */
export type EtcdVersion = '2.3' | '3.4' | '3.5' | '3.6';
export const ETCD_VERSIONS: readonly EtcdVersion[] = ['2.3', '3.4', '3.5', '3.6'];

export interface Member {
  name: string;
  host: string; // normalized FQDN
  advertisePeerUrl: string;
  advertiseClientUrl: string;
  ipv4?: string;
  ipv6?: string;
  peerPort: number;
  clientPort: number;
  priority: number;
  weight: number;
  state: 'new' | 'existing';
}

/** Manifest v1.1 `defaults:`: member values for members that do not set their own. */
export interface MemberDefaults {
  priority?: number;
  weight?: number;
  peerPort?: number;
  clientPort?: number;
}

export interface HostPort {
  host: string;
  port: number;
}

export interface ProviderConfig {
  type: 'zonefile' | 'rfc2136' | 'powerdns' | 'cloudflare';
  zone: string;
  /**
   * Every other key of the provider block, as written (resolved paths for files); among
   * them `maxRecordsPerRRset` (number, 0: no limit), read by src/plan/limits.ts.
   */
  options: Record<string, unknown>;
}

/** How members find each other at bootstrap (manifest `bootstrap:`). */
export type BootstrapMode = 'srv' | 'static' | 'discovery';

/**
 * The manifest's `render:` block as written: templates with {name}, {host}, {ipv4}, {ipv6},
 * {clientPort}, {peerPort}, {scheme} (and {certDir} in file paths), filled per member by src/render.
 */
export interface RenderKeys {
  listenClientUrls?: string[];
  listenPeerUrls?: string[];
  dataDir?: string;
  certDir: string;
  certFile?: string;
  keyFile?: string;
  trustedCaFile?: string;
  peerCertFile?: string;
  peerKeyFile?: string;
  peerTrustedCaFile?: string;
}

export interface Manifest {
  file: string;
  cluster: string;
  domain: string;
  ttl: number;
  etcd: {
    version: EtcdVersion;
    tls: boolean;
    serviceName: string;
    token: string;
    clientSrv: boolean;
    autoTls: boolean;
    /** client URLs of the running cluster (v1.1 `etcd.endpoints`); empty when not given */
    endpoints?: string[];
  };
  provider: ProviderConfig;
  members: Member[];
  /** default srv; optional so hand-built manifests (tests) need not spell it */
  bootstrap?: BootstrapMode;
  /** with bootstrap: discovery */
  discoveryUrl?: string;
  render?: RenderKeys;
  verify: {
    nameservers: HostPort[];
    timeoutMs: number;
    retries: number;
    waitMs: number;
  };
}

export interface Finding {
  severity: 'error' | 'warning';
  /** file:line:column where known */
  where: string;
  message: string;
}

/** `provider.ownership`: the marker secret, from the environment or a file only its owner reads. */
export interface OwnershipConfig {
  secretEnv?: string;
  secretFile?: string;
}
