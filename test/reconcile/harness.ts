import { readFile } from 'node:fs/promises';
import { openProvider } from '../../providers/index.js';
import { query } from '../../src/dns/transport.js';
import { GatewayClient, type EtcdClient, type GatewayOptions } from '../../src/etcd/client.js';
import { reconcile } from '../../src/reconcile/pipeline.js';
import type { ReconcileDeps, ReconcileReport, ReconcileRequest } from '../../src/reconcile/types.js';

/**
 * The core's outside world for in-process tests: real providers and real DNS queries
 * to loopback servers, no system resolver, an injectable clock and etcd client.
 */
export interface HarnessOptions {
  env?: Record<string, string>;
  /** seconds added to the clock the providers sign with */
  skewSeconds?: number;
  etcd?: (endpoints: string[]) => EtcdClient;
  gateway?: GatewayOptions;
  confirm?: boolean;
}

export function coreDeps(o: HarnessOptions = {}): ReconcileDeps & { confirmations: number } {
  const now = () => new Date(Date.now() + (o.skewSeconds ?? 0) * 1000);
  const deps = {
    confirmations: 0,
    readText: (file: string) => readFile(file, 'utf8'),
    openProvider: (m: Parameters<ReconcileDeps['openProvider']>[0]) => openProvider(m, { env: o.env ?? {}, debug: () => {}, now }),
    query: (server: Parameters<ReconcileDeps['query']>[0], name: string, type: string, opts: { timeoutMs: number; retries: number }) => query(server, name, type, opts),
    lookupHost: async (host: string): Promise<string[]> => {
      throw new Error(`tests resolve no names (${host})`);
    },
    etcdClient: (endpoints: string[], tls: Parameters<ReconcileDeps['etcdClient']>[1]) => o.etcd?.(endpoints) ?? new GatewayClient(endpoints, tls, o.gateway),
    now,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    confirm: async () => {
      deps.confirmations++;
      return o.confirm ?? false;
    },
  };
  return deps;
}

export function run(req: ReconcileRequest, o: HarnessOptions = {}): Promise<ReconcileReport> {
  return reconcile(req, coreDeps(o));
}
