import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LiveMember } from '../drift/membership.js';
import { SrvctlError } from '../errors.js';

/** etcd's v3 JSON gateway (POST /v3/cluster/member/list, /member/add), over http or https with client certificates. */
export interface EtcdTls {
  /** for auto-tls clusters, whose certificates are self-signed */
  insecureSkipTlsVerify?: boolean;
  cacert?: string;
  cert?: string;
  key?: string;
}

interface GatewayMember {
  ID?: string;
  name?: string;
  peerURLs?: string[];
  clientURLs?: string[];
}

async function post(endpoint: string, path: string, body: unknown, tls: EtcdTls, timeoutMs: number): Promise<unknown> {
  const url = new URL(path, endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
  const https = url.protocol === 'https:';
  const [ca, cert, key] = await Promise.all([tls.cacert, tls.cert, tls.key].map((f) => (f ? readFile(f) : Promise.resolve(undefined))));
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(url, { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: timeoutMs, ...(https ? { ca, cert, key, rejectUnauthorized: !tls.insecureSkipTlsVerify } : {}) }, (res) => {
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
    });
    req.on('timeout', () => req.destroy(new Error(`${url.origin}: no answer within ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code === 'ECONNREFUSED' ? `${url.origin}: connection refused` : `${url.origin}: ${e.message}`)));
    req.end(JSON.stringify(body));
  });
}

function toLive(m: GatewayMember): LiveMember {
  return { id: m.ID ?? '', name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [] };
}

/** Asks each endpoint in turn until one answers. */
async function firstAnswer<T>(endpoints: readonly string[], what: string, fn: (e: string) => Promise<T>): Promise<T> {
  const errors: string[] = [];
  for (const e of endpoints) {
    try {
      return await fn(e);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  throw new SrvctlError('provider', `${what}: no etcd endpoint answered`, errors);
}

export function memberList(endpoints: readonly string[], tls: EtcdTls, timeoutMs = 5000): Promise<LiveMember[]> {
  return firstAnswer(endpoints, 'etcd member list', async (e) => ((await post(e, 'v3/cluster/member/list', {}, tls, timeoutMs)) as { members?: GatewayMember[] }).members?.map(toLive) ?? []);
}

/**
 * member add; etcd refuses it as "unhealthy cluster" until every member has been connected
 * for a few seconds (--strict-reconfig-check), so that answer is waited out, within a bound.
 */
export async function memberAdd(endpoints: readonly string[], peerURLs: string[], tls: EtcdTls, timeoutMs = 5000, patienceMs = 30_000): Promise<LiveMember> {
  const until = Date.now() + patienceMs;
  for (;;) {
    try {
      return await firstAnswer(endpoints, `etcd member add ${peerURLs.join(',')}`, async (e) => toLive(((await post(e, 'v3/cluster/member/add', { peerURLs }, tls, timeoutMs)) as { member: GatewayMember }).member));
    } catch (e) {
      const unhealthy = e instanceof SrvctlError && e.details.some((d) => /unhealthy cluster/.test(d));
      if (!unhealthy || Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
