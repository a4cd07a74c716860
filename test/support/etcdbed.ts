import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Bind } from './bind.js';
import { CLI, ROOT, run, startProcess, stop } from './run.js';

/**
 * A network namespace with only loopback, BIND serving one zone on 127.0.0.1:53 inside it,
 * and real etcd members that bootstrap with --discovery-srv. Everything it starts it
 * stops by PID; the namespace and /etc/netns/<name> are removed on teardown.
 */
export const DOMAIN = 'example.test';

export interface MemberSpec {
  name: string;
  ip: string; // 127.0.0.1x inside the namespace
  peerScheme: 'https' | 'http';
  /** the host in --initial-advertise-peer-urls; default <name>.<DOMAIN> */
  advertiseHost?: string;
  /** where memberList asks this member (a rendered config's client URL); default http://<ip>:2379 */
  clientUrl?: string;
}

export interface MemberResult {
  name: string;
  exited: boolean;
  exitCode: number | null;
  log: string;
}

/**
 * Which etcd a bed runs: '3.4' is Debian 12's etcd-server in /usr/bin; '3.5' is trixie's
 * etcd-server (3.5.16) and '3.5-sid' sid's (3.5.30), unpacked beside it by
 * scripts/fetch-etcd.sh (never installed over 3.4).
 */
export type EtcdRelease = '3.4' | '3.5' | '3.5-sid';

export interface EtcdBinaries {
  release: EtcdRelease;
  etcd: string;
  etcdctl: string;
}

const UNPACKED: Record<Exclude<EtcdRelease, '3.4'>, string> = { '3.5': 'etcd-trixie', '3.5-sid': 'etcd-sid' };

/** The binaries of a release; throws (so the test fails, never skips) when they are missing. */
export function etcdBinaries(release: EtcdRelease): EtcdBinaries {
  if (release === '3.4') return { release, etcd: '/usr/bin/etcd', etcdctl: '/usr/bin/etcdctl' };
  const dir = join(ROOT, '.cache', UNPACKED[release], 'usr/bin');
  const found = { release, etcd: join(dir, 'etcd'), etcdctl: join(dir, 'etcdctl') };
  for (const bin of [found.etcd, found.etcdctl]) {
    if (!existsSync(bin)) throw new Error(`etcd ${release} is missing (${bin}): run scripts/fetch-etcd.sh ${release === '3.5' ? 'trixie' : 'sid'} (.ci/run does)`);
  }
  return found;
}

export class EtcdBed {
  readonly ns: string;
  readonly dir: string;
  readonly bin: EtcdBinaries;
  private named?: Bind;
  /** `srvctl serve` inside the namespace, when it serves the zone instead of BIND */
  private srvctlServer?: ChildProcess;
  private members: { spec: MemberSpec; child: ChildProcess; logFile: string; exited: boolean; code: number | null }[] = [];

  constructor(tag: string, release: EtcdRelease = '3.4') {
    this.ns = `srvctl-${process.pid}-${tag}`.slice(0, 30);
    this.dir = mkdtempSync(join(tmpdir(), 'srvctl-etcdbed-'));
    this.bin = etcdBinaries(release);
  }

  exec(args: string[], timeoutMs = 30_000) {
    return run('ip', ['netns', 'exec', this.ns, ...args], { timeoutMs });
  }

  async setup(addresses: string[]): Promise<void> {
    for (const tool of ['named', this.bin.etcd, this.bin.etcdctl]) {
      const which = await run('sh', ['-c', `command -v ${tool}`]);
      if (which.code !== 0) throw new Error(`${tool} is not installed: .ci/run must install it (bind9, etcd-server, etcd-client; scripts/fetch-etcd.sh for 3.5)`);
    }
    const add = await run('ip', ['netns', 'add', this.ns]);
    if (add.code !== 0) throw new Error(`ip netns add failed: ${add.stderr}`);
    mkdirSync(`/etc/netns/${this.ns}`, { recursive: true });
    writeFileSync(`/etc/netns/${this.ns}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    writeFileSync(`/etc/netns/${this.ns}/hosts`, '127.0.0.1 localhost\n');
    await this.exec(['ip', 'link', 'set', 'lo', 'up']);
    for (const a of addresses) {
      const r = await this.exec(['ip', 'addr', 'add', `${a}/8`, 'dev', 'lo']);
      if (r.code !== 0) throw new Error(`cannot add ${a}: ${r.stderr}`);
    }
  }

  /** (Re)starts BIND inside the namespace on 127.0.0.1:53 with this zone. */
  async serveZone(zoneText: string): Promise<void> {
    await this.stopNamed();
    this.named = new Bind({ zone: DOMAIN, zoneText, port: 53, prefix: ['ip', 'netns', 'exec', this.ns], dir: this.dir });
    await this.named.start();
  }

  /**
   * (Re)starts `srvctl serve` inside the namespace on 127.0.0.1:53 with this zone, in place
   * of BIND: the embedded server proven with its real consumer.
   */
  async serveZoneWithSrvctl(zoneText: string): Promise<void> {
    await this.stopNamed();
    await this.stopSrvctlServer();
    const file = join(this.dir, `${DOMAIN}.zone`);
    writeFileSync(file, zoneText);
    const started = await startProcess(
      'ip',
      ['netns', 'exec', this.ns, process.execPath, CLI, 'serve', file, '--origin', DOMAIN, '--listen', '127.0.0.1:53'],
      /serving zone/,
      { timeoutMs: 20_000 },
    );
    this.srvctlServer = started.child;
  }

  private async stopSrvctlServer(): Promise<void> {
    const child = this.srvctlServer;
    this.srvctlServer = undefined;
    await stop(child, 3000);
  }

  /** etcdctl inside the namespace, finding the cluster through DNS (--discovery-srv). */
  etcdctlDiscovery(args: string[]) {
    return this.exec(['etcdctl', '--discovery-srv', DOMAIN, '--command-timeout=3s', '--dial-timeout=3s', ...args], 15_000);
  }

  startMembers(specs: MemberSpec[], token: string): void {
    for (const spec of specs) {
      const data = join(this.dir, `data-${spec.name}`);
      rmSync(data, { recursive: true, force: true });
      const logFile = join(this.dir, `${spec.name}.log`);
      closeSync(openSync(logFile, 'w'));
      const args = [
        'netns', 'exec', this.ns, this.bin.etcd,
        '--name', spec.name,
        '--data-dir', data,
        '--discovery-srv', DOMAIN,
        '--initial-advertise-peer-urls', `${spec.peerScheme}://${spec.advertiseHost ?? `${spec.name}.${DOMAIN}`}:2380`,
        '--listen-peer-urls', `${spec.peerScheme}://${spec.ip}:2380`,
        '--listen-client-urls', `http://${spec.ip}:2379`,
        '--advertise-client-urls', `http://${spec.ip}:2379`,
        '--initial-cluster-token', token,
        '--initial-cluster-state', 'new',
        ...(spec.peerScheme === 'https' ? ['--peer-auto-tls'] : []),
      ];
      this.launch(spec, args, { PATH: process.env.PATH ?? '/usr/bin:/bin' }, logFile);
    }
  }

  /** Starts one etcd process (through `ip netns exec`) and tracks it by PID until it exits. */
  private launch(spec: MemberSpec, args: string[], env: Record<string, string>, logFile: string, cwd?: string): void {
    const log = openSync(logFile, 'a');
    const child = spawn('ip', args, { cwd, stdio: ['ignore', log, log], env });
    closeSync(log);
    const entry = { spec, child, logFile, exited: false, code: null as number | null };
    child.on('exit', (code) => {
      entry.exited = true;
      entry.code = code;
    });
    this.members.push(entry);
  }

  /**
   * Starts one member exactly as a rendered config says: an EnvironmentFile's ETCD_*
   * variables, or --config-file; the working directory holds its default data dir.
   */
  startRendered(spec: MemberSpec, how: { envFile?: string; configFile?: string }): void {
    const cwd = join(this.dir, `member-${spec.name}`);
    mkdirSync(cwd, { recursive: true });
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    if (how.envFile) {
      for (const line of readFileSync(how.envFile, 'utf8').split('\n')) {
        const m = /^(ETCD_[A-Z_]+)=(.*)$/.exec(line);
        if (m) env[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
      }
    }
    const logFile = join(this.dir, `${spec.name}.log`);
    closeSync(openSync(logFile, 'w'));
    this.launch(spec, ['netns', 'exec', this.ns, this.bin.etcd, ...(how.configFile ? ['--config-file', how.configFile] : [])], env, logFile, cwd);
  }

  /**
   * Starts one member by a command line run inside the namespace, exactly as an operator
   * would run a rendered config (`sh -c '. env; exec etcd'`, a flags script); the command
   * must exec etcd so that stopping it by PID stops etcd.
   */
  startCommand(spec: MemberSpec, argv: string[]): void {
    const cwd = join(this.dir, `member-${spec.name}`);
    mkdirSync(cwd, { recursive: true });
    const logFile = join(this.dir, `${spec.name}.log`);
    closeSync(openSync(logFile, 'w'));
    this.launch(spec, ['netns', 'exec', this.ns, ...argv], { PATH: process.env.PATH ?? '/usr/bin:/bin' }, logFile, cwd);
  }

  /**
   * Resolves with the log once member `name` has logged a line matching `pattern`; rejects
   * as soon as that member exits first. The wait ends on events (the log file changing,
   * the process exiting); `maxMs` only bounds a member that hangs without a word. A name
   * started more than once means its latest start.
   */
  waitForLog(name: string, pattern: RegExp, maxMs = 60_000): Promise<string> {
    const m = [...this.members].reverse().find((x) => x.spec.name === name);
    if (!m) return Promise.reject(new Error(`no member named ${name} was started`));
    return new Promise((resolve, reject) => {
      const watcher = watch(m.logFile);
      let settled = false;
      const done = (err: Error | null, log = '') => {
        if (settled) return;
        settled = true;
        watcher.close();
        clearTimeout(bound);
        m.child.off('exit', onExit);
        if (err) reject(err);
        else resolve(log);
      };
      const check = () => {
        const log = readFileSync(m.logFile, 'utf8');
        if (pattern.test(log)) done(null, log);
      };
      const onExit = () => {
        // the last lines may land after the exit event: read once more before failing
        const log = readFileSync(m.logFile, 'utf8');
        if (pattern.test(log)) done(null, log);
        else done(new Error(`${name} exited (${m.code ?? m.child.exitCode}) before logging ${pattern}:\n${log.split('\n').slice(-15).join('\n')}`));
      };
      const bound = setTimeout(() => done(new Error(`${name} logged no ${pattern} in ${maxMs} ms:\n${readFileSync(m.logFile, 'utf8').split('\n').slice(-15).join('\n')}`)), maxMs);
      watcher.on('change', check);
      watcher.on('error', (e) => done(e));
      m.child.once('exit', onExit);
      if (m.exited) onExit();
      else check();
    });
  }

  /** The last lines each member logged, for failure messages. */
  logs(lines = 6): string {
    return this.members.map((m) => `--- ${m.spec.name}${m.exited ? ` (exited ${m.code})` : ''}\n${readFileSync(m.logFile, 'utf8').split('\n').slice(-lines).join('\n')}`).join('\n');
  }

  /** Stops one member by PID. */
  async stopMember(name: string): Promise<void> {
    const m = this.members.find((x) => x.spec.name === name);
    if (m && !m.exited) await stop(m.child);
  }

  /** `etcdctl member list` on a running member: the member IDs etcd agreed on, or null without quorum. */
  async memberList(): Promise<{ clusterId: string; members: { id: string; name: string; peerURLs: string[] }[] } | null> {
    for (const m of this.members) {
      if (m.exited) continue;
      const url = m.spec.clientUrl ?? `http://${m.spec.ip}:2379`;
      // auto-TLS client certificates are self-signed
      const tls = url.startsWith('https:') ? ['--insecure-skip-tls-verify', '--insecure-transport=false'] : [];
      const r = await this.exec([this.bin.etcdctl, '--endpoints', url, ...tls, '--command-timeout=1s', '--dial-timeout=1s', 'member', 'list', '-w', 'json'], 5000);
      if (r.code !== 0) continue;
      // IDs are uint64: parse them as text, JSON numbers would lose precision.
      const text = r.stdout.replace(/"(cluster_id|ID|member_id)":(\d+)/g, '"$1":"$2"');
      const doc = JSON.parse(text) as { header: { cluster_id: string }; members: { ID: string; name?: string; peerURLs: string[] }[] };
      return {
        clusterId: BigInt(doc.header.cluster_id).toString(16),
        members: doc.members.map((x) => ({ id: BigInt(x.ID).toString(16), name: x.name ?? '', peerURLs: x.peerURLs })),
      };
    }
    return null;
  }

  /**
   * Waits until every member has exited, or a running member lists the cluster and the
   * others had time to give up; returns what each member did.
   */
  async settle(maxMs = 20_000): Promise<{ members: MemberResult[]; list: Awaited<ReturnType<EtcdBed['memberList']>> }> {
    const start = Date.now();
    let list: Awaited<ReturnType<EtcdBed['memberList']>> = null;
    let listedAt = 0;
    while (Date.now() - start < maxMs) {
      if (this.members.every((m) => m.exited)) break;
      if (!list) {
        list = await this.memberList();
        if (list) listedAt = Date.now();
      } else if (Date.now() - listedAt > 3000) {
        break;
      }
      // Each poll is an etcdctl per member: with none listing yet (a cluster that never
      // forms is watched for its whole window) a second apart, not a third of one.
      await new Promise((res) => setTimeout(res, list ? 300 : 1000));
    }
    if (list) list = (await this.memberList()) ?? list;
    return {
      list,
      members: this.members.map((m) => ({ name: m.spec.name, exited: m.exited, exitCode: m.code, log: readFileSync(m.logFile, 'utf8') })),
    };
  }

  async stopMembers(): Promise<void> {
    await Promise.all(this.members.filter((m) => !m.exited).map((m) => stop(m.child)));
    this.members = [];
  }

  private async stopNamed(): Promise<void> {
    const named = this.named;
    this.named = undefined;
    await named?.stop();
  }

  /** Runs srvctl inside the namespace, as an operator on that network would. */
  srvctl(args: string[], env: Record<string, string> = {}) {
    return run('ip', ['netns', 'exec', this.ns, process.execPath, CLI, ...args], { timeoutMs: 90_000, env });
  }

  async teardown(): Promise<void> {
    await this.stopMembers();
    await this.stopNamed();
    await this.stopSrvctlServer();
    await run('ip', ['netns', 'del', this.ns]);
    rmSync(`/etc/netns/${this.ns}`, { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
