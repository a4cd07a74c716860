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
  /** the target this row is held to, when there is one */
  goal?: string;
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

/** Median, spread and count of a sample, as every row reports them. */
export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function statsOf(values: number[]): Stats {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/** `12.3 ms (11.0–15.2, n=11)` */
export const fmtStats = (s: Stats, unit = (v: number) => fmtMs(v)) => `${unit(s.median)} (${unit(s.min)}–${unit(s.max)}, n=${s.n})`;
/** `1.42× (1.30–1.61, n=11)`: the spread of the per-pair ratios */
export const fmtRatio = (s: Stats) => `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)}, n=${s.n})`;

/**
 * Measures a subject and its yardstick interleaved, A B A B …, after one warm-up of each,
 * so that a change in machine load falls on both alike. The ratio is taken per pair and
 * then summarised, which keeps a slow moment from skewing one side only.
 */
export async function interleaved(runs: number, subject: () => Promise<number>, yardstick: () => Promise<number>): Promise<{ subject: Stats; yardstick: Stats; ratio: Stats }> {
  await subject();
  await yardstick();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await subject());
    b.push(await yardstick());
  }
  return { subject: statsOf(a), yardstick: statsOf(b), ratio: statsOf(a.map((x, i) => x / b[i]!)) };
}

/** A row from an interleaved measurement. */
export function pairRow(what: string, yardstick: string, m: { subject: Stats; yardstick: Stats; ratio: Stats }, goal?: string): Row {
  return { what, value: fmtStats(m.subject), yardstick, yardstickValue: fmtStats(m.yardstick), ratio: fmtRatio(m.ratio), goal };
}
