import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const CLI = join(ROOT, 'dist/bundle/cli.js');
export const RUNS = Number(process.env.BENCH_RUNS ?? 11);

export interface Row {
  what: string;
  value: string;
  yardstick: string;
  yardstickValue: string;
  /** what / yardstick, as the reader should read it */
  ratio: string;
}

export function timeOnce(cmd: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((res, rej) => {
    const t = process.hrtime.bigint();
    execFile(cmd, args, { env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 256 * 1024 * 1024 }, (err) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') rej(err);
      else res(Number(process.hrtime.bigint() - t) / 1e6);
    });
  });
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function medianOf(runs: number, fn: () => Promise<number>): Promise<number> {
  await fn(); // warm caches
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await fn());
  return median(samples);
}

/** Runs a command that reports its peak memory: node with an exit hook printing maxRSS (KiB). */
export function nodeWithMaxRss(args: string[], env: Record<string, string> = {}): Promise<{ ms: number; maxRssKiB: number; code: number }> {
  return new Promise((res, rej) => {
    const hook = `data:text/javascript,process.on('exit',()=>process.stderr.write('MAXRSS '+process.resourceUsage().maxRSS+'\\n'))`;
    const t = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', hook, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', rej);
    child.on('exit', (code) => res({ ms: Number(process.hrtime.bigint() - t) / 1e6, maxRssKiB: Number(/MAXRSS (\d+)/.exec(err)?.[1] ?? 0), code: code ?? 1 }));
  });
}

/** Starts a long-running process and waits for `ready` on its output; the match is kept on the child. */
export function start(cmd: string, args: string[], ready: RegExp): Promise<ChildProcess & { ready: RegExpExecArray }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const on = (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) res(Object.assign(child, { ready: m }));
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('exit', (c) => rej(new Error(`${cmd} exited ${c}: ${out}`)));
  });
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (child.exitCode !== null) return res();
    child.removeAllListeners('exit');
    child.once('exit', () => res());
    child.kill('SIGTERM');
  });
}

export const fmtMs = (ms: number) => `${ms.toFixed(1)} ms`;
export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
