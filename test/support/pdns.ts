import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { run, stop } from './run.js';

const SCHEMA = '/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql';

/** PowerDNS (gsqlite3) in the foreground on loopback, with the API on; stopped by PID. */
export class PowerDns {
  readonly dir = mkdtempSync(join(tmpdir(), 'srvctl-pdns-'));
  readonly apiKey = randomBytes(18).toString('base64url');
  dnsPort = 0;
  apiPort = 0;
  private child?: ChildProcess;

  get url(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  async start(zone: string, records: { name: string; type: string; ttl: number; content: string[] }[]): Promise<void> {
    for (const tool of ['pdns_server', 'sqlite3']) {
      if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) throw new Error(`${tool} is not installed: .ci/run must install pdns-server, pdns-backend-sqlite3 and sqlite3`);
    }
    const db = join(this.dir, 'pdns.db');
    const init = await run('sh', ['-c', `sqlite3 '${db}' < ${SCHEMA}`]);
    if (init.code !== 0) throw new Error(`cannot create the PowerDNS database: ${init.stderr}`);
    this.dnsPort = await freePort();
    this.apiPort = await freePort();
    writeFileSync(
      join(this.dir, 'pdns.conf'),
      [
        'launch=gsqlite3',
        `gsqlite3-database=${db}`,
        'api=yes',
        `api-key=${this.apiKey}`,
        'webserver=yes',
        'webserver-address=127.0.0.1',
        `webserver-port=${this.apiPort}`,
        'webserver-allow-from=127.0.0.0/8',
        'local-address=127.0.0.1',
        `local-port=${this.dnsPort}`,
        'daemon=no',
        'guardian=no',
        // empty: otherwise PowerDNS looks up a name on the internet at start
        'security-poll-suffix=',
        `socket-dir=${this.dir}`,
        'disable-syslog=yes',
        '',
      ].join('\n'),
    );
    const log = openSync(join(this.dir, 'pdns.log'), 'w');
    this.child = spawn('pdns_server', [`--config-dir=${this.dir}`], { stdio: ['ignore', log, log] });
    closeSync(log);
    for (let i = 0; i < 100; i++) {
      try {
        const res = await this.api('POST', '/api/v1/servers/localhost/zones', { name: `${zone}.`, kind: 'Native', nameservers: [`ns1.${zone}.`] });
        if (res.status === 201) break;
        throw new Error(`zone creation answered ${res.status}: ${await res.text()}`);
      } catch (e) {
        if (this.child.exitCode !== null || i === 99) throw new Error(`PowerDNS did not come up: ${(e as Error).message}\n${this.log()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await this.patch(zone, records);
  }

  api(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.url}${path}`, { method, headers: { 'X-API-Key': this.apiKey, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  }

  /** Replaces RRsets behind srvctl's back, as another operator would. */
  async patch(zone: string, records: { name: string; type: string; ttl: number; content: string[] }[]): Promise<void> {
    if (records.length === 0) return;
    const res = await this.api('PATCH', `/api/v1/servers/localhost/zones/${zone}.`, {
      rrsets: records.map((r) => ({ name: `${r.name}.`, type: r.type, ttl: r.ttl, changetype: 'REPLACE', records: r.content.map((c) => ({ content: c, disabled: false })) })),
    });
    if (res.status !== 204) throw new Error(`PATCH answered ${res.status}: ${await res.text()}`);
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'pdns.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stop(child);
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
