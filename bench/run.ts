/**
 * npm run bench: every figure is a ratio against a yardstick measured in the same run
 * (medians of several runs), written to BENCHMARKS.md with the machine and the date.
 * BENCH_ONLY=startup,check,transport,... runs a subset.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { CLI, interleaved, pairRow, ROOT, RUNS, timeOnce, type Row } from './lib.js';
import { scaleBench } from './scale.js';
import { transportKnotBench } from './transport-knot.js';
import { codecBench, serveBench } from './server.js';
import { bigZoneBench, cloudflareBench, driftBench, rfc2136Bench, serverBench, transportBench } from './suites.js';

async function startupBench(): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'srvctl-bench-'));
  try {
    const manifest = join(dir, 'cluster.yaml');
    await cp(join(ROOT, 'fixtures/cluster.yaml'), manifest);
    const bare = () => timeOnce(process.execPath, ['-e', '0']);
    const cli = (...args: string[]) => () => timeOnce(process.execPath, [CLI, ...args]);
    const rows = [pairRow('srvctl --version', 'node -e 0', await interleaved(RUNS, cli('--version'), bare))];
    rows.push(pairRow('srvctl validate fixtures/cluster.yaml', 'node -e 0', await interleaved(RUNS, cli('validate', manifest), bare), '≤ 1.6×'));
    await timeOnce(process.execPath, [CLI, 'sync', manifest, '--yes']);
    rows.push(pairRow('srvctl sync fixtures/cluster.yaml, in sync (read, plan, serve, verify, predict, render)', 'node -e 0', await interleaved(RUNS, cli('sync', manifest, '--yes'), bare)));
    const fromEmpty = async () => {
      await rm(join(dir, 'example.com.zone'), { force: true });
      return timeOnce(process.execPath, [CLI, 'sync', manifest, '--yes']);
    };
    rows.push(pairRow('srvctl sync fixtures/cluster.yaml from an empty zone (18 changes written)', 'node -e 0', await interleaved(RUNS, fromEmpty, bare)));
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * srvctl check of a 5-member cluster on two local nameservers vs one `dig -f` process making
 * the same lookups (one dig per lookup would pay 30 process starts and flatter srvctl).
 */
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
    const lookups = servers.flatMap((s) => [
      `@127.0.0.1 -p ${s.port} +norec +short example.com SOA`,
      ...names.map((n) => `@127.0.0.1 -p ${s.port} +norec +short ${n} SRV`),
      ...members.flatMap((i) => ['A', 'AAAA'].map((t) => `@127.0.0.1 -p ${s.port} +norec +short node${i}.coreos.example.com ${t}`)),
    ]);
    const batch = join(dir, 'lookups.txt');
    await writeFile(batch, `${lookups.join('\n')}\n`);
    const m = await interleaved(
      RUNS,
      () => timeOnce(process.execPath, [CLI, 'check', 'coreos.example.com', '--etcd-version', '3.4', ...servers.flatMap((s) => ['--ns', `127.0.0.1:${s.port}`])]),
      () => timeOnce('dig', ['-f', batch]),
    );
    return [pairRow(`srvctl check, 5 members on 2 local nameservers (${lookups.length} lookups + zone discovery + prediction)`, `one dig -f making the same ${lookups.length} lookups`, m)];
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  }
}

const SUITES: Record<string, () => Promise<Row[]>> = {
  startup: startupBench,
  check: checkBench,
  transport: transportKnotBench,
  'transport-lossy': transportBench,
  server: serverBench,
  codec: codecBench,
  serve: serveBench,
  bigzone: bigZoneBench,
  cloudflare: cloudflareBench,
  rfc2136: rfc2136Bench,
  drift: driftBench,
  scale: scaleBench,
};

async function main() {
  const only = process.env.BENCH_ONLY?.split(',');
  const sections: string[] = [];
  // The machine is shared: the load before and after says how much the absolute times mean.
  const loadBefore = loadavg();
  const started = Date.now();
  for (const [name, suite] of Object.entries(SUITES)) {
    if (only && !only.includes(name)) continue;
    process.stderr.write(`bench: ${name}…\n`);
    let rows: Row[];
    try {
      rows = await suite();
    } catch (e) {
      sections.push(`### ${name}\n\nnot measured: ${(e as Error).message.split('\n')[0]}\n`);
      continue;
    }
    sections.push(`### ${name}\n\n| what | value | yardstick | yardstick value | ratio | goal |\n|---|---:|---|---:|---:|---|\n${rows.map((r) => `| ${r.what} | ${r.value} | ${r.yardstick} | ${r.yardstickValue} | ${r.ratio} | ${r.goal ?? ''} |`).join('\n')}\n`);
  }
  const text = [
    '# Benchmarks',
    '',
    `Run ${new Date().toISOString()} on ${cpus().length}× ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; subject and yardstick interleaved (A B A B …), ${RUNS} pairs after a warm-up unless a row says otherwise; each cell is median (min–max, n), the ratio is taken per pair.`,
    'Each figure stands next to a yardstick measured in the same run; read the ratios, not the absolute times.',
    `Load average (1, 5, 15 min) at the start ${loadBefore.map((l) => l.toFixed(2)).join(', ')}, at the end ${loadavg().map((l) => l.toFixed(2)).join(', ')}; the run took ${((Date.now() - started) / 60000).toFixed(1)} min.`,
    '',
    ...sections,
  ].join('\n');
  if (!only) await writeFile(join(ROOT, 'BENCHMARKS.md'), text);
  process.stdout.write(text);
}

await main();
