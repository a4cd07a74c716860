import { openProvider } from '../../providers/index.js';
import { query } from '../dns/transport.js';
import type { EtcdClient, EtcdTls } from '../etcd/client.js';
import { SrvctlError } from '../errors.js';
import type { ReconcileDeps, ReconcileReport, ReconcileRequest } from '../reconcile/types.js';
import { sleep } from '../util/limit.js';
import type { Context } from './context.js';
import { readText } from './manifest.js';
import { systemResolverFor } from './predicting.js';

/** The outside world of the core, as the CLI process has it. */
export function processDeps(ctx: Context, confirm: (report: ReconcileReport) => Promise<boolean>, hooks: Pick<ReconcileDeps, 'onStage' | 'onVerifyRound'> = {}): ReconcileDeps {
  return {
    readText,
    openProvider: (m) => openProvider(m, ctx.providerContext()),
    query: (server, name, type, opts) => query(server, name, type, opts),
    resolver: systemResolverFor(2000, 2),
    // verify.nameservers given as host names: the same lookup as the providers' NS hosts
    // (resolv.conf's nameservers asked through srvctl's own DNS client), never getaddrinfo.
    lookupHost: (host) => ctx.providerContext().lookupHost!(host),
    etcdClient: lazyGateway,
    now: () => new Date(),
    sleep,
    confirm,
    ...hooks,
  };
}

/**
 * etcd's gateway client, loaded on its first call: node:http, node:https and TLS are no
 * part of a sync that talks to no etcd (about 17 ms of a 50-member rfc2136 sync's start).
 */
function lazyGateway(endpoints: string[], tls: EtcdTls): EtcdClient {
  let loaded: EtcdClient | undefined;
  let loading: Promise<EtcdClient> | undefined;
  const client = () => (loading ??= import('../etcd/client.js').then(({ GatewayClient }) => (loaded = new GatewayClient(endpoints, tls))));
  return {
    endpoints,
    get clusterId() {
      return loaded?.clusterId;
    },
    memberList: async () => (await client()).memberList(),
    memberAdd: async (peerURLs) => (await client()).memberAdd(peerURLs),
    memberRemove: async (id) => (await client()).memberRemove(id),
    memberUpdate: async (id, peerURLs) => (await client()).memberUpdate(id, peerURLs),
  };
}

export interface EtcdFlags extends EtcdTls {
  etcdEndpoints?: string;
}

export function etcdFlags(flags: EtcdFlags): Pick<ReconcileRequest, 'etcdEndpoints' | 'etcdTls'> {
  const endpoints = flags.etcdEndpoints?.split(',').map((e) => e.trim()).filter(Boolean);
  for (const e of endpoints ?? []) {
    if (!/^https?:\/\/[^\s/]+\/?$/.test(e)) throw new SrvctlError('usage', `--etcd-endpoints: "${e}" is not an http(s)://host:port client URL`);
  }
  return { etcdEndpoints: endpoints, etcdTls: { cacert: flags.cacert, cert: flags.cert, key: flags.key, insecureSkipTlsVerify: flags.insecureSkipTlsVerify } };
}

