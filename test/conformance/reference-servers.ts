import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, stop } from '../support/run.js';

/**
 * BIND and Knot as reference authoritative servers for one zone on a loopback port, each
 * in the foreground with its own directory, stopped by PID. Both are configured to answer
 * the way the embedded server chooses to where the RFCs leave a choice: no NS RRset in the
 * authority section of positive answers, additional addresses for NS/MX/SRV targets.
 */
export interface ReferenceServer {
  name: 'bind' | 'knot';
  port: number;
  stop(): Promise<void>;
}

async function waitUp(port: number, zone: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await run('dig', ['@127.0.0.1', '-p', String(port), zone, 'SOA', '+norec', '+time=1', '+tries=1', '+short']);
    if (r.code === 0 && r.stdout.trim()) return;
    if (child.exitCode !== null) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`server did not come up:\n${log()}`);
}

function launch(cmd: string, args: string[], dir: string): { child: ChildProcess; log: () => string } {
  const logFile = join(dir, 'server.log');
  const fd = openSync(logFile, 'w');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.on('error', () => undefined);
  return { child, log: () => readFileSync(logFile, 'utf8') };
}

export async function startBind(zone: string, zoneText: string, port: number): Promise<ReferenceServer> {
  const dir = mkdtempSync(join(tmpdir(), 'srvctl-ref-bind-'));
  writeFileSync(join(dir, 'zone'), zoneText);
  writeFileSync(
    join(dir, 'named.conf'),
    `options {
  directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  notify no;
  dnssec-validation no;
  pid-file none;
  session-keyfile none;
  minimal-responses no-auth;
  minimal-any yes;
  check-names primary ignore;
};
controls { };
zone "${zone}" { type primary; file "${join(dir, 'zone')}"; };
`,
  );
  const { child, log } = launch('named', ['-g', '-c', join(dir, 'named.conf')], dir);
  await waitUp(port, zone, child, log);
  return {
    name: 'bind',
    port,
    stop: async () => {
      await stop(child, 3000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startKnot(zone: string, zoneText: string, port: number): Promise<ReferenceServer> {
  const dir = mkdtempSync(join(tmpdir(), 'srvctl-ref-knot-'));
  writeFileSync(join(dir, 'zone'), zoneText);
  writeFileSync(
    join(dir, 'knot.conf'),
    `server:
    rundir: "${dir}"
    listen: 127.0.0.1@${port}
database:
    storage: "${dir}"
template:
  - id: default
    storage: "${dir}"
    semantic-checks: off
zone:
  - domain: ${zone}
    file: "${join(dir, 'zone')}"
    journal-content: none
    zonefile-load: whole
`,
  );
  const { child, log } = launch('knotd', ['-c', join(dir, 'knot.conf')], dir);
  await waitUp(port, zone, child, log);
  return {
    name: 'knot',
    port,
    stop: async () => {
      await stop(child, 3000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
