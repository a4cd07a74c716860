/**
 * npm run bench: every figure is a ratio against a yardstick measured in the same run
 * (medians of several runs), written to BENCHMARKS.md with the machine and the date.
 * BENCH_ONLY=startup,check,transport,... runs a subset.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { CLI, fmtMs, medianOf, ratio, ROOT, RUNS, timeOnce, type Row } from './lib.js';
import { codecBench, serveBench } from './server.js';
import { bigZoneBench, cloudflareBench, driftBench, rfc2136Bench, serverBench, transportBench } from './suites.js';

async function startupBench(): Promise<Row[]> {
  const bare = await medianOf(RUNS, () => timeOnce(process.execPath, ['-e', '0']));
  const dir = await mkdtemp(join(tmpdir(), 'srvctl-bench-'));
  try {
    const manifest = join(dir, 'cluster.yaml');
    await cp(join(ROOT, 'fixtures/cluster.yaml'), manifest);
    const row = (what: string, ms: number): Row => ({ what, value: fmtMs(ms), yardstick: 'node -e 0', yardstickValue: fmtMs(bare), ratio: ratio(ms, bare) });
    const rows = [row('srvctl --version', await medianOf(RUNS, () => timeOnce(process.execPath, [CLI, '--version'])))];
    rows.push(row('srvctl validate fixtures/cluster.yaml', await medianOf(RUNS, () => timeOnce(process.execPath, [CLI, 'validate', manifest]))));
    await timeOnce(process.execPath, [CLI, 'sync', manifest, '--yes']);
    rows.push(row('srvctl sync fixtures/cluster.yaml, in sync (read, plan, serve, verify, predict, render)', await medianOf(RUNS, () => timeOnce(process.execPath, [CLI, 'sync', manifest, '--yes']))));
    rows.push(
      row(
        'srvctl sync fixtures/cluster.yaml from an empty zone (18 changes written)',
        await medianOf(RUNS, async () => {
          await rm(join(dir, 'example.com.zone'), { force: true });
          return timeOnce(process.execPath, [CLI, 'sync', manifest, '--yes']);
        }),
      ),
    );
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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
    const digs = servers.flatMap((s) => [
      `dig @127.0.0.1 -p ${s.port} +norec +short example.com SOA`,
      ...names.map((n) => `dig @127.0.0.1 -p ${s.port} +norec +short ${n} SRV`),
      ...members.flatMap((i) => ['A', 'AAAA'].map((t) => `dig @127.0.0.1 -p ${s.port} +norec +short node${i}.coreos.example.com ${t}`)),
    ]);
    const script = join(dir, 'dig.sh');
    await writeFile(script, `#!/bin/sh\nset -e\n${digs.join(' >/dev/null\n')} >/dev/null\n`);
    const digMs = await medianOf(RUNS, () => timeOnce('sh', [script]));
    const checkMs = await medianOf(RUNS, () => timeOnce(process.execPath, [CLI, 'check', 'coreos.example.com', '--etcd-version', '3.4', ...servers.flatMap((s) => ['--ns', `127.0.0.1:${s.port}`])]));
    return [{ what: `srvctl check, 5 members on 2 local nameservers (${digs.length} lookups + zone discovery + prediction)`, value: fmtMs(checkMs), yardstick: `sh script running dig for the same ${digs.length} lookups`, yardstickValue: fmtMs(digMs), ratio: ratio(checkMs, digMs) }];
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  }
}

const SUITES: Record<string, () => Promise<Row[]>> = {
  startup: startupBench,
  check: checkBench,
  transport: transportBench,
  server: serverBench,
  codec: codecBench,
  serve: serveBench,
  bigzone: bigZoneBench,
  cloudflare: cloudflareBench,
  rfc2136: rfc2136Bench,
  drift: driftBench,
};

async function main() {
  const only = process.env.BENCH_ONLY?.split(',');
  const sections: string[] = [];
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
    sections.push(`### ${name}\n\n| what | value | yardstick | yardstick value | ratio |\n|---|---:|---|---:|---:|\n${rows.map((r) => `| ${r.what} | ${r.value} | ${r.yardstick} | ${r.yardstickValue} | ${r.ratio} |`).join('\n')}\n`);
  }
  const text = [
    '# Benchmarks',
    '',
    `Run ${new Date().toISOString()} on ${cpus().length}× ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; medians of ${RUNS} runs unless a row says otherwise.`,
    'Each figure stands next to a yardstick measured in the same run; read the ratios, not the absolute times.',
    '',
    ...sections,
  ].join('\n');
  if (!only) await writeFile(join(ROOT, 'BENCHMARKS.md'), text);
  process.stdout.write(text);
}

await main();
