/**
 * Typed schemas of what the consumers read, written from their source (independently of
 * src/render/consumers.ts, so a wrong key there fails a test here).
 */
type GoType = 'string' | 'bool' | 'int';

/**
 * coreos/coreos-cloudinit config/etcd2.go (commit f1f0405), struct Etcd2: yaml tag -> Go
 * type. Keys are matched after "-" -> "_" (config/config.go NewCloudConfig).
 */
export const CLOUDINIT_ETCD2: Record<string, GoType> = {
  advertise_client_urls: 'string', ca_file: 'string', cert_file: 'string', client_cert_auth: 'bool', cors: 'string',
  data_dir: 'string', debug: 'bool', discovery: 'string', discovery_fallback: 'string', discovery_srv: 'string',
  discovery_proxy: 'string', election_timeout: 'int', enable_pprof: 'bool', force_new_cluster: 'bool',
  heartbeat_interval: 'int', initial_advertise_peer_urls: 'string', initial_cluster: 'string',
  initial_cluster_state: 'string', initial_cluster_token: 'string', key_file: 'string', listen_client_urls: 'string',
  listen_peer_urls: 'string', log_package_levels: 'string', max_snapshots: 'int', max_wals: 'int', name: 'string',
  peer_ca_file: 'string', peer_cert_file: 'string', peer_key_file: 'string', peer_client_cert_auth: 'bool',
  peer_trusted_ca_file: 'string', proxy: 'string', proxy_dial_timeout: 'int', proxy_failure_wait: 'int',
  proxy_read_timeout: 'int', proxy_refresh_interval: 'int', proxy_write_timeout: 'int', snapshot_count: 'int',
  strict_reconfig_check: 'bool', trusted_ca_file: 'string', wal_dir: 'string',
};

/**
 * coreos/container-linux-config-transpiler config/types/etcd.go (commit e4d5be5), struct
 * Etcd3_3 (chosen for every version >= 3.3 by Etcd.UnmarshalYAML): yaml tag -> Go type.
 * `version` is an EtcdVersion (a semver string) beside the options.
 */
export const CLC_ETCD3_3: Record<string, GoType> = {
  name: 'string', data_dir: 'string', wal_dir: 'string', snapshot_count: 'int', heartbeat_interval: 'int',
  election_timeout: 'int', enable_pprof: 'bool', enable_v2: 'bool', listen_peer_urls: 'string',
  listen_client_urls: 'string', max_snapshots: 'int', max_wals: 'int', cors: 'string', quota_backend_bytes: 'int',
  max_txn_ops: 'int', max_request_bytes: 'int', grpc_keepalive_min_time: 'string', grpc_keepalive_interval: 'string',
  grpc_keepalive_timeout: 'string', initial_advertise_peer_urls: 'string', initial_cluster: 'string',
  initial_cluster_state: 'string', initial_cluster_token: 'string', advertise_client_urls: 'string',
  discovery: 'string', discovery_srv: 'string', discovery_fallback: 'string', discovery_proxy: 'string',
  strict_reconfig_check: 'bool', auto_compaction_retention: 'string', auto_compaction_mode: 'string',
  proxy: 'string', proxy_failure_wait: 'int', proxy_refresh_interval: 'int', proxy_dial_timeout: 'int',
  proxy_write_timeout: 'int', proxy_read_timeout: 'int', ca_file: 'string', cert_file: 'string', key_file: 'string',
  client_cert_auth: 'bool', client_crl_file: 'string', trusted_ca_file: 'string', auto_tls: 'bool',
  peer_ca_file: 'string', peer_cert_file: 'string', peer_key_file: 'string', peer_client_cert_auth: 'bool',
  peer_crl_file: 'string', peer_trusted_ca_file: 'string', peer_auto_tls: 'bool', peer_cert_allowed_cn: 'string',
  auth_token: 'string', debug: 'bool', log_package_levels: 'string', force_new_cluster: 'bool', metrics: 'string',
  log_output: 'string', listen_metrics_urls: 'string', experimental_initial_corrupt_check: 'bool',
  experimental_corrupt_check_time: 'string', experimental_enable_v2v3: 'string',
};

/** Problems of one mapping against a schema: unknown keys and values of the wrong type. */
export function typeProblems(doc: Record<string, unknown>, schema: Record<string, GoType>, normalize = (k: string) => k): string[] {
  const out: string[] = [];
  for (const [rawKey, v] of Object.entries(doc)) {
    const key = normalize(rawKey);
    const t = schema[key];
    if (!t) out.push(`unknown key ${rawKey}`);
    else if (t === 'bool' && typeof v !== 'boolean') out.push(`${rawKey}: ${JSON.stringify(v)} is not a bool`);
    else if (t === 'int' && !Number.isInteger(v)) out.push(`${rawKey}: ${JSON.stringify(v)} is not an int`);
    else if (t === 'string' && typeof v !== 'string') out.push(`${rawKey}: ${JSON.stringify(v)} is not a string`);
  }
  return out;
}
