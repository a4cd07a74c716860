/**
 * The keys each consumer knows, as its source declares them. A key missing here is a key
 * the consumer would drop without a word, so a render that needs one refuses instead.
 */

/**
 * coreos-cloudinit config/etcd2.go, struct Etcd2 (yaml tags; cloudinit turns "-" into "_"
 * before matching, config/config.go NewCloudConfig). Value: the Go type of the field.
 */
export const CLOUDINIT_ETCD2: Record<string, 'string' | 'bool' | 'int'> = {
  'advertise-client-urls': 'string',
  'ca-file': 'string',
  'cert-file': 'string',
  'client-cert-auth': 'bool',
  cors: 'string',
  'data-dir': 'string',
  debug: 'bool',
  discovery: 'string',
  'discovery-fallback': 'string',
  'discovery-srv': 'string',
  'discovery-proxy': 'string',
  'election-timeout': 'int',
  'enable-pprof': 'bool',
  'force-new-cluster': 'bool',
  'heartbeat-interval': 'int',
  'initial-advertise-peer-urls': 'string',
  'initial-cluster': 'string',
  'initial-cluster-state': 'string',
  'initial-cluster-token': 'string',
  'key-file': 'string',
  'listen-client-urls': 'string',
  'listen-peer-urls': 'string',
  'log-package-levels': 'string',
  'max-snapshots': 'int',
  'max-wals': 'int',
  name: 'string',
  'peer-ca-file': 'string',
  'peer-cert-file': 'string',
  'peer-key-file': 'string',
  'peer-client-cert-auth': 'bool',
  'peer-trusted-ca-file': 'string',
  proxy: 'string',
  'proxy-dial-timeout': 'int',
  'proxy-failure-wait': 'int',
  'proxy-read-timeout': 'int',
  'proxy-refresh-interval': 'int',
  'proxy-write-timeout': 'int',
  'snapshot-count': 'int',
  'strict-reconfig-check': 'bool',
  'trusted-ca-file': 'string',
  'wal-dir': 'string',
};

/**
 * container-linux-config-transpiler config/types/etcd.go: the options of struct Etcd3_3
 * (used for every etcd 3.3 and later) and Etcd2 (2.3), as flag names (the yaml tags with
 * "_" for "-"). Neither has discovery_srv_name nor enable_grpc_gateway.
 */
const CLC_COMMON = [
  'name', 'data-dir', 'wal-dir', 'snapshot-count', 'heartbeat-interval', 'election-timeout', 'enable-pprof',
  'listen-peer-urls', 'listen-client-urls', 'max-snapshots', 'max-wals', 'cors', 'initial-advertise-peer-urls',
  'initial-cluster', 'initial-cluster-state', 'initial-cluster-token', 'advertise-client-urls', 'discovery',
  'discovery-srv', 'discovery-fallback', 'discovery-proxy', 'strict-reconfig-check', 'proxy', 'proxy-failure-wait',
  'proxy-refresh-interval', 'proxy-dial-timeout', 'proxy-write-timeout', 'proxy-read-timeout', 'ca-file', 'cert-file',
  'key-file', 'client-cert-auth', 'trusted-ca-file', 'peer-ca-file', 'peer-cert-file', 'peer-key-file',
  'peer-client-cert-auth', 'peer-trusted-ca-file', 'debug', 'log-package-levels', 'force-new-cluster',
];
const CLC_BOOLS = new Set(['enable-pprof', 'strict-reconfig-check', 'client-cert-auth', 'auto-tls', 'peer-client-cert-auth', 'peer-auto-tls', 'debug', 'force-new-cluster', 'enable-v2', 'experimental-initial-corrupt-check']);

export const CLC_ETCD3_3 = new Set([
  ...CLC_COMMON,
  'enable-v2', 'quota-backend-bytes', 'max-txn-ops', 'max-request-bytes', 'grpc-keepalive-min-time', 'grpc-keepalive-interval',
  'grpc-keepalive-timeout', 'auto-compaction-retention', 'auto-compaction-mode', 'client-crl-file', 'auto-tls', 'peer-crl-file',
  'peer-auto-tls', 'peer-cert-allowed-cn', 'auth-token', 'metrics', 'log-output', 'listen-metrics-urls',
  'experimental-initial-corrupt-check', 'experimental-corrupt-check-time', 'experimental-enable-v2v3',
]);
export const CLC_ETCD2 = new Set(CLC_COMMON);

export function clcKeyType(key: string): 'bool' | 'string' {
  return CLC_BOOLS.has(key) ? 'bool' : 'string';
}
