import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BindKey } from './bind.js';
import { run, stop } from './run.js';

export interface KnotOptions {
  zone: string;
  zoneText: string;
  port: number;
  /** BindKey's update/transfer flags become ACL actions */
  keys?: BindKey[];
}

/**
 * Knot DNS (knotd) in the foreground on loopback with a temporary config, zone and
 * database directory; stopped by PID. Each key gets an ACL with the actions its flags
 * allow; a key with neither still exists (the server knows it) but may do nothing.
 */
export class Knot {
  readonly dir: string;
  private child?: ChildProcess;

  constructor(readonly opts: KnotOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'srvctl-knot-'));
  }

  get port(): number {
    return this.opts.port;
  }

  async start(): Promise<void> {
    const which = await run('sh', ['-c', 'command -v knotd']);
    if (which.code !== 0) throw new Error('knotd is not installed: .ci/run must install knot');
    const { zone, keys = [] } = this.opts;
    writeFileSync(join(this.dir, `${zone}.zone`), this.opts.zoneText);
    const acls = keys.flatMap((k) => {
      const actions = [...(k.update ? ['update'] : []), ...(k.transfer ? ['transfer'] : [])];
      return actions.length ? [`  - id: acl-${k.name}\n    key: ${k.name}\n    action: [${actions.join(', ')}]`] : [];
    });
    writeFileSync(
      join(this.dir, 'knot.conf'),
      `server:
  rundir: "${this.dir}"
  listen: 127.0.0.1@${this.opts.port}
  pidfile: "${this.dir}/knot.pid"
log:
  - target: stderr
    any: info
database:
  storage: "${this.dir}"
${keys.length ? `key:\n${keys.map((k) => `  - id: ${k.name}\n    algorithm: hmac-sha256\n    secret: ${k.secret}`).join('\n')}\n` : ''}${acls.length ? `acl:\n${acls.join('\n')}\n` : ''}template:
  - id: default
    storage: "${this.dir}"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: changes
zone:
  - domain: ${zone}
${acls.length ? `    acl: [${keys.filter((k) => k.update || k.transfer).map((k) => `acl-${k.name}`).join(', ')}]\n` : ''}`,
    );
    const log = openSync(join(this.dir, 'knot.log'), 'w');
    this.child = spawn('knotd', ['-c', join(this.dir, 'knot.conf')], { stdio: ['ignore', log, log] });
    closeSync(log);
    for (let i = 0; i < 80; i++) {
      const r = await run('kdig', [`@127.0.0.1`, '-p', String(this.opts.port), zone, 'SOA', '+norec', '+timeout=1', '+retry=0', '+short']);
      if (r.code === 0 && r.stdout.trim()) return;
      if (this.child.exitCode !== null) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const output = this.log();
    await this.dispose();
    throw new Error(`knotd did not come up:\n${output}`);
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'knot.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stop(child, 3000);
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
