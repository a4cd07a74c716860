import { spawn, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from '../src/dns/transport.js';
import { mapLimit } from '../src/util/limit.js';
import { median, ratio, type Row } from './lib.js';

/**
 * Issue 18's transport row: 10,000 SRV lookups, 100 in flight, against knotd on loopback,
 * srvctl's transport (0x20, cookies, rotating sockets) vs Node's dns.Resolver (c-ares),
 * interleaved A B A B, median with min–max and n.
 */
const N = 10_000;
const CONC = 100;
const NAME = '_etcd-server._tcp.c1.example.com';
const ROUNDS = Number(process.env.BENCH_RUNS ?? 7);

const ZONE = `$ORIGIN example.com.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 604800 300
@ IN NS ns1
ns1 IN A 127.0.0.1
${[1, 2, 3].map((m) => `_etcd-server._tcp.c1 IN SRV 0 0 2380 n${m}.c1\nn${m}.c1 IN A 10.0.1.${m}`).join('\n')}
`;

async function startKnot(dir: string, port: number): Promise<ChildProcess> {
  await writeFile(join(dir, 'example.com.zone'), ZONE);
  await writeFile(
    join(dir, 'knot.conf'),
    `server:\n  rundir: "${dir}"\n  listen: 127.0.0.1@${port}\ndatabase:\n  storage: "${dir}"\ntemplate:\n  - id: default\n    storage: "${dir}"\nzone:\n  - domain: example.com\n    file: example.com.zone\nlog:\n  - target: stderr\n    any: warning\n`,
  );
  const child = spawn('knotd', ['-c', join(dir, 'knot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const failed = new Promise<never>((_, rej) => {
    child.once('error', rej);
    child.once('exit', (c) => rej(new Error(`knotd exited ${c}: ${err}`)));
  });
  // Ready when it answers; polled by queries for at most 15 s. A refused query fails at
  // once (ICMP port unreachable), so refusals are paced rather than counted.
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const ok = await Promise.race([query({ host: '127.0.0.1', port }, NAME, 'SRV', { timeoutMs: 100, retries: 0 }).then((a) => a.answers.length === 3, () => false), failed]);
    if (ok) return child;
    await new Promise((res) => setTimeout(res, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`knotd did not answer: ${err}`);
}

/** This process's CPU time (user + system) since `since`, per lookup: both clients run in it, on the same loop. */
function cpuPerLookup(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / N;
}

async function runOurs(port: number) {
  let wrong = 0;
  let failed = 0;
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  await mapLimit(Array.from({ length: N }), CONC, async () => {
    try {
      const a = await query({ host: '127.0.0.1', port }, NAME, 'SRV', { timeoutMs: 300, retries: 2 });
      if (a.answers.length !== 3 || a.transport !== 'udp') wrong++;
    } catch {
      failed++;
    }
  });
  return { qps: N / (Number(process.hrtime.bigint() - t) / 1e9), cpuUs: cpuPerLookup(cpu), wrong, failed };
}

async function runCares(port: number) {
  const r = new Resolver({ timeout: 300, tries: 3 });
  r.setServers([`127.0.0.1:${port}`]);
  let wrong = 0;
  let failed = 0;
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  await mapLimit(Array.from({ length: N }), CONC, async () => {
    try {
      if ((await r.resolveSrv(NAME)).length !== 3) wrong++;
    } catch {
      failed++;
    }
  });
  return { qps: N / (Number(process.hrtime.bigint() - t) / 1e9), cpuUs: cpuPerLookup(cpu), wrong, failed };
}

export async function transportKnotBench(): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'srvctl-bench-knot-'));
  const { freePort } = await import('../test/support/ports.js');
  // A free port can be taken between the probe and knotd's bind (one bench run lost its
  // row so): a second knotd on another port before the row gives up.
  let port = await freePort();
  let knot: ChildProcess;
  try {
    knot = await startKnot(dir, port);
  } catch {
    port = await freePort();
    knot = await startKnot(dir, port);
  }
  try {
    await runOurs(port); // warm both
    await runCares(port);
    const ours: number[] = [];
    const cares: number[] = [];
    const ratios: number[] = [];
    const oursCpu: number[] = [];
    const caresCpu: number[] = [];
    let wrong = 0;
    let failed = 0;
    let caresWrong = 0;
    let caresFailed = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const a = await runOurs(port);
      const b = await runCares(port);
      ours.push(a.qps);
      cares.push(b.qps);
      ratios.push(a.qps / b.qps);
      oursCpu.push(a.cpuUs);
      caresCpu.push(b.cpuUs);
      wrong += a.wrong;
      failed += a.failed;
      caresWrong += b.wrong;
      caresFailed += b.failed;
    }
    const spread = (v: number[], f = (x: number) => x.toFixed(0)) => `${f(median(v))} (${f(Math.min(...v))}–${f(Math.max(...v))}, n=${v.length})`;
    return [
      {
        what: `srvctl transport: ${N} SRV lookups, ${CONC} in flight, against knotd (0x20 + cookies, rotating sockets; ${wrong} wrong or not UDP, ${failed} failed over all runs)`,
        value: `${spread(ours)} q/s`,
        yardstick: `Node dns.Resolver (c-ares), same lookups, interleaved A B A B (${caresWrong} wrong, ${caresFailed} failed)`,
        yardstickValue: `${spread(cares)} q/s`,
        ratio: `${ratio(median(ratios), 1)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}, n=${ratios.length})`,
        goal: '≥ 1.0×, 0 wrong',
      },
      {
        what: 'CPU time per lookup of this process, srvctl transport, same runs (user + system)',
        value: `${spread(oursCpu, (x) => x.toFixed(1))} µs`,
        yardstick: 'c-ares, same runs',
        yardstickValue: `${spread(caresCpu, (x) => x.toFixed(1))} µs`,
        ratio: `${(median(oursCpu.map((x, i) => x / caresCpu[i]!))).toFixed(2)}× (n=${oursCpu.length})`,
      },
    ];
  } finally {
    await new Promise<void>((res) => {
      if (knot.exitCode !== null) return res();
      knot.removeAllListeners('exit');
      knot.once('exit', () => res());
      knot.kill('SIGTERM');
    });
    await rm(dir, { recursive: true, force: true });
  }
}
