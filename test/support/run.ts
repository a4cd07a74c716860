import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, cp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The bundle the package ships (scripts/bundle.mjs), so the tests run what users run. */
export const CLI = join(ROOT, 'dist/bundle/cli.js');
export const FIXTURES = join(ROOT, 'fixtures');

/** The environment a child runs in: no colour, whatever the CI around the tests forces. */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { FORCE_COLOR: _forced, ...rest } = process.env;
  return { ...rest, NO_COLOR: '1', ...extra };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs srvctl as a user would, without a terminal. */
export function srvctl(args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], opts);
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      cmd,
      args,
      { cwd: opts.cwd, env: plainEnv(opts.env), timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string }) | null;
        if (e?.code === 'ENOENT') {
          reject(new Error(`${cmd} is not installed: .ci/run must install it`));
          return;
        }
        resolvePromise({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** A temporary directory holding copies of the named fixtures; removed by the returned cleanup. */
export async function scratch(...fixtures: string[]): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'srvctl-test-'));
  for (const f of fixtures) await cp(join(FIXTURES, f), join(dir, f.split('/').pop()!), { recursive: true });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts a long-running process and waits until `ready` matches its stderr. */
export function startProcess(cmd: string, args: string[], ready: RegExp, opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: plainEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not become ready in time; output:\n${out}`));
    }, opts.timeoutMs ?? 10_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolvePromise({ child, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code} before it was ready; output:\n${out}`));
    });
  });
}

/** Stops a process we started, by its PID: SIGTERM, then SIGKILL after `graceMs`. Resolves with its exit code. */
export function stop(child: ChildProcess | undefined, graceMs = 5000): Promise<number | null> {
  return new Promise((resolvePromise) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolvePromise(child?.exitCode ?? null);
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolvePromise(code);
    });
    child.kill('SIGTERM');
  });
}
