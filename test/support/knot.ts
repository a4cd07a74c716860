import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BindKey } from './bind.js';
import { ServerDaemon } from './daemon.js';
import { run } from './run.js';

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
export class Knot extends ServerDaemon {
  constructor(readonly opts: KnotOptions) {
    super(mkdtempSync(join(tmpdir(), 'srvctl-knot-')), true, 'knotd');
  }

  get port(): number {
    return this.opts.port;
  }

  async start(): Promise<void> {
    await this.requireBinary('knotd', 'knot');
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
    await this.launch(['knotd', '-c', join(this.dir, 'knot.conf')], async () => {
      const r = await run('kdig', [`@127.0.0.1`, '-p', String(this.opts.port), zone, 'SOA', '+norec', '+timeout=1', '+retry=0', '+short']);
      return r.code === 0 && !!r.stdout.trim();
    });
  }
}
