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

  rows.push(...(await checkBench()));

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

/** srvctl check of a 5-member cluster on two local nameservers vs a dig script making the same lookups. */
async function checkBench(): Promise<Row[]> {
  const { Authority } = await import('../src/dns/authority.js');
  const { startServer } = await import('../src/dns/server.js');
  const { parseZone } = await import('../src/dns/zonefile.js');
  const members = [1, 2, 3, 4, 5];
  const zone = [
    '$ORIGIN example.com.',
    '$TTL 300',
    '@ IN SOA ns1 hostmaster 1 3600 600 604800 300',
    '@ IN NS ns1',
    'ns1 IN A 127.0.0.1',
    ...members.map((i) => `_etcd-server-ssl._tcp.coreos IN SRV 0 0 2380 node${i}.coreos`),
    ...members.map((i) => `_etcd-client-ssl._tcp.coreos IN SRV 0 0 2379 node${i}.coreos`),
    ...members.map((i) => `node${i}.coreos IN A 10.0.0.${i}`),
  ].join('\n');
  const records = parseZone(zone, 'example.com').records;
  const servers = await Promise.all([0, 1].map(() => startServer(new Authority('example.com', records), { host: '127.0.0.1', port: 0 })));
  const dir = await mkdtemp(join(tmpdir(), 'srvctl-bench-check-'));
  try {
    const names = ['_etcd-server-ssl', '_etcd-server', '_etcd-client-ssl', '_etcd-client'].map((n) => `${n}._tcp.coreos.example.com`);
    // The same lookups srvctl makes: per nameserver the SOA, four SRV names, A and AAAA per target.
    const digs = servers.flatMap((s) => [
      `dig @127.0.0.1 -p ${s.port} +norec +short example.com SOA`,
      ...names.map((n) => `dig @127.0.0.1 -p ${s.port} +norec +short ${n} SRV`),
      ...members.flatMap((i) => ['A', 'AAAA'].map((t) => `dig @127.0.0.1 -p ${s.port} +norec +short node${i}.coreos.example.com ${t}`)),
    ]);
    const script = join(dir, 'dig.sh');
    await writeFile(script, `#!/bin/sh\nset -e\n${digs.join(' >/dev/null\n')} >/dev/null\n`);
    const digMs = await median('sh', [script]);
    const args = [CLI, 'check', 'coreos.example.com', '--etcd-version', '3.4', ...servers.flatMap((s) => ['--ns', `127.0.0.1:${s.port}`])];
    const checkMs = await median(process.execPath, args);
    return [
      { what: `srvctl check, 5 members on 2 local nameservers (${digs.length} lookups + zone discovery)`, ms: checkMs, yardstick: `sh script running dig for the same ${digs.length} lookups`, yardstickMs: digMs },
    ];
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
