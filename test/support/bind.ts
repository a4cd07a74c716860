import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerDaemon } from './daemon.js';
import { run } from './run.js';

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
export class Bind extends ServerDaemon {

  constructor(readonly opts: BindOptions) {
    super(opts.dir ?? mkdtempSync(join(tmpdir(), 'srvctl-bind-')), !opts.dir, 'named');
  }

  get port(): number {
    return this.opts.port;
  }

  async start(): Promise<void> {
    await this.requireBinary('named', 'bind9');
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
    const prefix = this.opts.prefix ?? [];
    await this.launch([...prefix, 'named', '-g', '-c', join(this.dir, 'named.conf')], async () => {
      const [c, ...a] = [...prefix, 'dig', '@127.0.0.1', '-p', String(this.opts.port), zone, 'SOA', '+norec', '+time=1', '+tries=1', '+short'];
      const r = await run(c!, a);
      return r.code === 0 && !!r.stdout.trim();
    });
  }
}

/** nsupdate, to change the zone behind srvctl's back as another operator would. */
export async function nsupdate(port: number, key: BindKey, commands: string[]): Promise<void> {
  const script = [`server 127.0.0.1 ${port}`, ...commands, 'send', ''].join('\n');
  const r = await run('nsupdate', ['-y', `hmac-sha256:${key.name}:${key.secret}`], { input: script });
  if (r.code !== 0) throw new Error(`nsupdate failed: ${r.stderr}`);
}
