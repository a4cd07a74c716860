import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, stop } from './run.js';

export interface BindKey {
  name: string;
  secret: string; // base64
  /** may update the zone */
  update: boolean;
  /** may transfer the zone */
  transfer: boolean;
  /** the record types its update right covers (update-policy grant); ANY when unset */
  updateTypes?: string;
}

export interface BindOptions {
  zone: string;
  zoneText: string;
  port: number;
  keys?: BindKey[];
  /** run named through this prefix, e.g. ['ip', 'netns', 'exec', NS] */
  prefix?: string[];
  dir?: string;
  /** more lines for the options block, e.g. 'max-records-per-type 0;' */
  options?: string[];
}

export function newKey(name: string, update = true, transfer = true): BindKey {
  return { name, secret: randomBytes(32).toString('base64'), update, transfer };
}

/** BIND 9 in the foreground with its own config directory; stopped by PID. */
export class Bind {
  readonly dir: string;
  private child?: ChildProcess;
  private readonly ownsDir: boolean;

  constructor(readonly opts: BindOptions) {
    this.ownsDir = !opts.dir;
    this.dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'srvctl-bind-'));
  }

  get port(): number {
    return this.opts.port;
  }

  async start(): Promise<void> {
    const which = await run('sh', ['-c', 'command -v named']);
    if (which.code !== 0) throw new Error('named is not installed: .ci/run must install bind9');
    const { zone, keys = [] } = this.opts;
    const zoneFile = join(this.dir, `${zone}.zone`);
    writeFileSync(zoneFile, this.opts.zoneText);
    const updaters = keys.filter((k) => k.update);
    const transfer = keys.filter((k) => k.transfer);
    writeFileSync(
      join(this.dir, 'named.conf'),
      `${keys.map((k) => `key "${k.name}" { algorithm hmac-sha256; secret "${k.secret}"; };`).join('\n')}
options {
  directory "${this.dir}";
  listen-on port ${this.opts.port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  notify no;
  dnssec-validation no;
  pid-file none;
  session-keyfile none;
  minimal-responses no;
${(this.opts.options ?? []).map((o) => `  ${o}\n`).join('')}};
controls { };
zone "${zone}" {
  type primary;
  file "${zoneFile}";
  ${updaters.length ? `update-policy { ${updaters.map((k) => `grant ${k.name} zonesub ${k.updateTypes ?? 'ANY'};`).join(' ')} };` : ''}
  allow-transfer { ${transfer.length ? transfer.map((k) => `key ${k.name};`).join(' ') : 'none;'} };
};
`,
    );
    const log = openSync(join(this.dir, 'named.log'), 'w');
    const [cmd, ...pre] = [...(this.opts.prefix ?? []), 'named'];
    this.child = spawn(cmd!, [...pre, '-g', '-c', join(this.dir, 'named.conf')], { stdio: ['ignore', log, log] });
    closeSync(log);
    const digPrefix = this.opts.prefix ?? [];
    for (let i = 0; i < 80; i++) {
      const [c, ...a] = [...digPrefix, 'dig', '@127.0.0.1', '-p', String(this.opts.port), zone, 'SOA', '+norec', '+time=1', '+tries=1', '+short'];
      const r = await run(c!, a);
      if (r.code === 0 && r.stdout.trim()) return;
      if (this.child.exitCode !== null) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`BIND did not come up:\n${this.log()}`);
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'named.log'), 'utf8');
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
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** nsupdate, to change the zone behind srvctl's back as another operator would. */
export async function nsupdate(port: number, key: BindKey, commands: string[]): Promise<void> {
  const script = [`server 127.0.0.1 ${port}`, ...commands, 'send', ''].join('\n');
  const r = await run('nsupdate', ['-y', `hmac-sha256:${key.name}:${key.secret}`], { input: script });
  if (r.code !== 0) throw new Error(`nsupdate failed: ${r.stderr}`);
}
