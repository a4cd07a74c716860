/**
 * npm run bench: every figure is a ratio against a yardstick measured in the same run
 * (medians of several runs), written to BENCHMARKS.md with the machine and the date.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const CLI = join(ROOT, 'dist/src/cli.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 11);

function timeOnce(cmd: string, args: string[]): Promise<number> {
  return new Promise((res, rej) => {
    const t = process.hrtime.bigint();
    execFile(cmd, args, { env: { ...process.env, NO_COLOR: '1' } }, (err) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') rej(err);
      else res(Number(process.hrtime.bigint() - t) / 1e6);
    });
  });
}

async function median(cmd: string, args: string[], runs = RUNS): Promise<number> {
  await timeOnce(cmd, args); // warm the file cache
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await timeOnce(cmd, args));
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

interface Row {
  what: string;
  ms: number;
  yardstick: string;
  yardstickMs: number;
}

async function main() {
  const rows: Row[] = [];
  const nodeBare = await median(process.execPath, ['-e', '0']);
  const dir = await mkdtemp(join(tmpdir(), 'srvctl-bench-'));
  try {
    await cp(join(ROOT, 'fixtures/cluster.yaml'), join(dir, 'cluster.yaml'));
    const manifest = join(dir, 'cluster.yaml');
    rows.push({ what: 'srvctl --version', ms: await median(process.execPath, [CLI, '--version']), yardstick: 'node -e 0', yardstickMs: nodeBare });
    rows.push({ what: 'srvctl validate fixtures/cluster.yaml', ms: await median(process.execPath, [CLI, 'validate', manifest]), yardstick: 'node -e 0', yardstickMs: nodeBare });
    // First sync creates the zone; the measured ones find it in sync and verify it.
    await timeOnce(process.execPath, [CLI, 'sync', manifest, '--yes']);
    const syncMs = await median(process.execPath, [CLI, 'sync', manifest, '--yes']);
    rows.push({ what: 'srvctl sync fixtures/cluster.yaml (in sync: read, plan, serve, verify 5 RRsets, render)', ms: syncMs, yardstick: 'node -e 0', yardstickMs: nodeBare });
    const fresh = async () => {
      await rm(join(dir, 'example.com.zone'), { force: true });
      return timeOnce(process.execPath, [CLI, 'sync', manifest, '--yes']);
    };
    const freshSamples: number[] = [];
    for (let i = 0; i < RUNS; i++) freshSamples.push(await fresh());
    freshSamples.sort((a, b) => a - b);
    rows.push({ what: 'srvctl sync fixtures/cluster.yaml (from an empty zone: 18 changes written)', ms: freshSamples[Math.floor(RUNS / 2)]!, yardstick: 'node -e 0', yardstickMs: nodeBare });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const lines = [
    '# Benchmarks',
    '',
    `Run ${new Date().toISOString()} on ${cpus().length}× ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; medians of ${RUNS} runs.`,
    'Ratios are against a yardstick measured in the same run; absolute times are for orientation only.',
    '',
    '| what | median | yardstick | yardstick median | ratio |',
    '|---|---:|---|---:|---:|',
    ...rows.map((r) => `| ${r.what} | ${r.ms.toFixed(1)} ms | ${r.yardstick} | ${r.yardstickMs.toFixed(1)} ms | ${(r.ms / r.yardstickMs).toFixed(2)}× |`),
    '',
  ];
  await writeFile(join(ROOT, 'BENCHMARKS.md'), lines.join('\n'));
  process.stdout.write(lines.join('\n'));
}

await main();
