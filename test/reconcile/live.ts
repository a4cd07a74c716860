import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayClient } from '../../src/etcd/client.js';
import { DOMAIN, EtcdBed } from '../support/etcdbed.js';
import { startProcess, stop } from '../support/run.js';

/**
 * A running etcd 3.4 cluster for in-process tests of the core: members bootstrapped
 * statically (no DNS needed) inside a network namespace, their names in the namespace's
 * /etc/hosts, each client URL reachable from this process through a Unix socket that a
 * forwarder inside the namespace serves. Everything started here is stopped by PID.
 */
export const NODES = { node1: '127.0.0.11', node2: '127.0.0.12', node3: '127.0.0.13' } as const;

const FORWARDER = `
const net = require('node:net');
const [sock, host, port] = process.argv.slice(1);
net.createServer((c) => { const u = net.connect(Number(port), host); c.pipe(u).pipe(c); u.on('error', () => c.destroy()); c.on('error', () => u.destroy()); })
  .listen(sock, () => console.error('forwarding'));`;

export class LiveCluster {
  readonly bed = new EtcdBed('core');
  private children: ChildProcess[] = [];
  readonly endpoints = Object.values(NODES).map((ip) => `http://${ip}:2379`);

  socketOf(endpoint: string): string {
    return join(this.bed.dir, `${new URL(endpoint).hostname}.sock`);
  }

  /** The core's etcd client for this cluster, through the sockets. */
  client(endpoints: readonly string[] = this.endpoints): GatewayClient {
    return new GatewayClient(endpoints, {}, { requestOptions: (e) => ({ socketPath: this.socketOf(e) }) });
  }

  async start(): Promise<void> {
    await this.bed.setup(Object.values(NODES));
    writeFileSync(`/etc/netns/${this.bed.ns}/hosts`, `127.0.0.1 localhost\n${Object.entries(NODES).map(([n, ip]) => `${ip} ${n}.${DOMAIN}`).join('\n')}\n`);
    const initial = Object.keys(NODES).map((n) => `${n}=https://${n}.${DOMAIN}:2380`).join(',');
    for (const [name, ip] of Object.entries(NODES)) {
      const logFile = join(this.bed.dir, `${name}.log`);
      const log = openSync(logFile, 'w');
      // prettier-ignore
      const child = spawn('ip', ['netns', 'exec', this.bed.ns, 'etcd', '--name', name, '--data-dir', join(this.bed.dir, `data-${name}`),
        '--initial-advertise-peer-urls', `https://${name}.${DOMAIN}:2380`, '--listen-peer-urls', `https://${ip}:2380`,
        '--listen-client-urls', `http://${ip}:2379`, '--advertise-client-urls', `http://${ip}:2379`,
        '--initial-cluster', initial, '--initial-cluster-token', 'live-core', '--initial-cluster-state', 'new', '--peer-auto-tls'], { stdio: ['ignore', log, log], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
      closeSync(log);
      this.children.push(child);
      const fwd = await startProcess('ip', ['netns', 'exec', this.bed.ns, process.execPath, '-e', FORWARDER, this.socketOf(`http://${ip}:2379`), ip, '2379'], /forwarding/);
      this.children.push(fwd.child);
    }
    // Ready when every member answers with its name in the list (an event, polled).
    const client = this.client();
    for (let i = 0; i < 200; i++) {
      const list = await client.memberList().catch(() => []);
      if (list.length === 3 && list.every((m) => m.name)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`etcd did not come up:\n${this.logs()}`);
  }

  logs(): string {
    return Object.keys(NODES).map((n) => `--- ${n}\n${readFileSync(join(this.bed.dir, `${n}.log`), 'utf8').split('\n').slice(-5).join('\n')}`).join('\n');
  }

  /** `etcdctl member list` inside the namespace: the truth, independent of srvctl's client. */
  async members(): Promise<{ id: string; name: string; peerURLs: string[] }[]> {
    const r = await this.bed.exec(['etcdctl', '--endpoints', this.endpoints[0]!, '--command-timeout=3s', 'member', 'list', '-w', 'json'], 10_000);
    if (r.code !== 0) throw new Error(`etcdctl member list: ${r.stderr}`);
    const doc = JSON.parse(r.stdout.replace(/"ID":(\d+)/g, '"ID":"$1"')) as { members: { ID: string; name?: string; peerURLs: string[] }[] };
    return doc.members.map((m) => ({ id: BigInt(m.ID).toString(16), name: m.name ?? '', peerURLs: m.peerURLs })).sort((a, b) => a.id.localeCompare(b.id));
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => stop(c)));
    this.children = [];
    await this.bed.teardown();
  }
}
