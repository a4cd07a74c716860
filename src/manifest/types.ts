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

export interface HostPort {
  host: string;
  port: number;
}

export interface ProviderConfig {
  type: 'zonefile' | 'rfc2136' | 'powerdns' | 'cloudflare';
  zone: string;
  /** Every other key of the provider block, as written (resolved paths for files). */
  options: Record<string, unknown>;
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
  };
  provider: ProviderConfig;
  members: Member[];
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
