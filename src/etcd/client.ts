import { readFile } from 'node:fs/promises';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LiveMember } from '../drift/membership.js';
import { SrvctlError } from '../errors.js';

/**
 * The etcd client srvctl needs: member list/add/update/remove through etcd's v3 JSON
 * gateway (POST /v3/cluster/member/*), over http or https with client certificates.
 * Member IDs leave this file in hex, as etcdctl prints and accepts them; the gateway
 * speaks decimal uint64 strings.
 */
export interface EtcdTls {
  /** for auto-tls clusters, whose certificates are self-signed */
  insecureSkipTlsVerify?: boolean;
  cacert?: string;
  cert?: string;
  key?: string;
}

export interface EtcdClient {
  readonly endpoints: readonly string[];
  /** the running cluster's ID in hex, once a member list has been read (absent when the server did not say) */
  readonly clusterId?: string;
  memberList(): Promise<LiveMember[]>;
  memberAdd(peerURLs: string[]): Promise<LiveMember>;
  memberRemove(hexId: string): Promise<void>;
  memberUpdate(hexId: string, peerURLs: string[]): Promise<void>;
}

export interface GatewayOptions {
  timeoutMs?: number;
  /** how long "unhealthy cluster" answers to member add are waited out */
  patienceMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** extra request options per endpoint (tests reach a namespace through a Unix socket) */
  requestOptions?: (endpoint: string) => RequestOptions;
}

interface GatewayMember {
  ID?: string;
  name?: string;
  peerURLs?: string[];
  clientURLs?: string[];
  isLearner?: boolean;
}

export function hexId(decimal: string | undefined): string {
  if (!decimal) return '';
  try {
    return BigInt(decimal).toString(16);
  } catch {
    return decimal;
  }
}

function decimalId(hex: string): string {
  return BigInt(`0x${hex}`).toString(10);
}

function toLive(m: GatewayMember): LiveMember {
  return { id: hexId(m.ID), name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [], ...(m.isLearner ? { isLearner: true } : {}) };
}

export class GatewayClient implements EtcdClient {
  private readonly timeoutMs: number;
  private readonly patienceMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  clusterId?: string;

  constructor(
    readonly endpoints: readonly string[],
    private readonly tls: EtcdTls,
    private readonly opts: GatewayOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.patienceMs = opts.patienceMs ?? 30_000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = opts.now ?? Date.now;
  }

  private async post(endpoint: string, path: string, body: unknown): Promise<unknown> {
    const url = new URL(path, endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
    const https = url.protocol === 'https:';
    const tls = this.tls;
    const [ca, cert, key] = await Promise.all([tls.cacert, tls.cert, tls.key].map((f) => (f ? readFile(f) : Promise.resolve(undefined))));
    const extra = this.opts.requestOptions?.(endpoint) ?? {};
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: this.timeoutMs, ...(https ? { ca, cert, key, rejectUnauthorized: !tls.insecureSkipTlsVerify } : {}), ...extra },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if ((res.statusCode ?? 500) >= 300) return reject(new Error(`${url.origin} answered ${res.statusCode}: ${text.slice(0, 200)}`));
            try {
              resolve(JSON.parse(text));
            } catch {
              reject(new Error(`${url.origin} did not answer JSON: is it an etcd v3 client URL?`));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${url.origin}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code === 'ECONNREFUSED' ? `${url.origin}: connection refused` : `${url.origin}: ${e.message}`)));
      req.end(JSON.stringify(body));
    });
  }

  /** Asks each endpoint in turn until one answers. */
  private async firstAnswer<T>(what: string, fn: (e: string) => Promise<T>): Promise<T> {
    const errors: string[] = [];
    for (const e of this.endpoints) {
      try {
        return await fn(e);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    throw new SrvctlError('provider', `${what}: no etcd endpoint answered`, errors);
  }

  memberList(): Promise<LiveMember[]> {
    return this.firstAnswer('etcd member list', async (e) => {
      const doc = (await this.post(e, 'v3/cluster/member/list', {})) as { header?: { cluster_id?: string }; members?: GatewayMember[] };
      if (doc.header?.cluster_id) this.clusterId = hexId(doc.header.cluster_id);
      return doc.members?.map(toLive) ?? [];
    });
  }

  /**
   * etcd refuses reconfiguration as "unhealthy cluster" until every member has been
   * connected for a few seconds (--strict-reconfig-check): that answer is waited out, within a bound.
   */
  private async patiently<T>(fn: () => Promise<T>): Promise<T> {
    const until = this.now() + this.patienceMs;
    let delay = 200;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        const unhealthy = e instanceof SrvctlError && e.details.some((d) => /unhealthy cluster/.test(d));
        if (!unhealthy || this.now() > until) throw e;
        await this.sleep(delay);
        delay = Math.min(delay * 2, 1000);
      }
    }
  }

  /**
   * An add whose answer is an error may still have been applied (etcd 3.4 has answered
   * "member not found" for an add it made): the list is read again before it counts as failed.
   */
  async memberAdd(peerURLs: string[]): Promise<LiveMember> {
    try {
      return await this.patiently(() =>
        this.firstAnswer(`etcd member add ${peerURLs.join(',')}`, async (e) => toLive(((await this.post(e, 'v3/cluster/member/add', { peerURLs })) as { member: GatewayMember }).member)),
      );
    } catch (e) {
      const made = (await this.memberList().catch(() => [])).find((m) => !m.name && peerURLs.every((u) => m.peerURLs.includes(u)));
      if (made) return made;
      throw e;
    }
  }

  /**
   * Like an add, a remove or an update whose answer is an error may have been applied (the
   * endpoint asked was the member removed, and stopped before answering; the next endpoint
   * then says "member not found"): the list is read again, and the change counts as done
   * when the list shows it.
   */
  async memberRemove(id: string): Promise<void> {
    try {
      await this.patiently(() => this.firstAnswer(`etcd member remove ${id}`, (e) => this.post(e, 'v3/cluster/member/remove', { ID: decimalId(id) })));
    } catch (e) {
      const list = await this.memberList().catch(() => undefined);
      if (list && !list.some((m) => m.id === id)) return;
      throw e;
    }
  }

  async memberUpdate(id: string, peerURLs: string[]): Promise<void> {
    try {
      await this.patiently(() => this.firstAnswer(`etcd member update ${id}`, (e) => this.post(e, 'v3/cluster/member/update', { ID: decimalId(id), peerURLs })));
    } catch (e) {
      const now = (await this.memberList().catch(() => [])).find((m) => m.id === id);
      if (now && now.peerURLs.length === peerURLs.length && peerURLs.every((u) => now.peerURLs.includes(u))) return;
      throw e;
    }
  }
}
