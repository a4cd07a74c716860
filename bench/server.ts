/**
 * The embedded server's hot path, measured interleaved (A B A B …) with median, spread and
 * n: the response encoder (dns2, the design card's codec, against srvctl's own) and whole
 * servers under dnsperf (srvctl serve in one process and with --workers 2, against BIND).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dns2 from 'dns2';
import { encodeResponse, TYPE, type ResponseSpec } from '../src/dns/codec.js';
import { rec } from '../src/records/record.js';
import { freePort } from '../test/support/ports.js';
import { CLI, start, stop, type Row } from './lib.js';

interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

function spread(values: number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

const fmt = (s: Spread, unit: string, digits = 0) => `${s.median.toFixed(digits)} ${unit} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)}, n=${s.n})`;

/** Ratios of paired samples (A_i / B_i), so drift over the run cancels out. */
function ratioSpread(a: number[], b: number[]): string {
  const r = spread(a.map((x, i) => x / b[i]!));
  return `${r.median.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)}, n=${r.n})`;
}

function srvAnswer(count: number): ResponseSpec {
  const name = '_etcd-server-ssl._tcp.example.com';
  return {
    id: 1, opcode: 0, aa: true, tc: false, rd: false, rcode: 0,
    questions: [{ name, type: TYPE.SRV!, class: 1 }],
    answers: Array.from({ length: count }, (_, i) => rec(name, 'SRV', 300, `0 0 2380 node${i}.example.com.`)),
    authority: [],
    additional: [],
  };
}

/* dns2's Packet has no typings for resources; this bench is the only place besides history that builds one. */
/* eslint-disable @typescript-eslint/no-explicit-any */
function dns2Encode(spec: ResponseSpec): Buffer {
  const { Packet } = dns2 as any;
  const p = new Packet();
  p.header = { id: spec.id, qr: 1, opcode: 0, aa: 1, tc: 0, rd: 0, ra: 0, rcode: 0 };
  p.questions = spec.questions.map((q) => ({ name: q.name, type: q.type, class: 1 }));
  p.answers = spec.answers.map((r) => {
    const [priority, weight, port, target] = r.rdata.split(' ');
    return { name: r.name, type: TYPE.SRV, class: 1, ttl: r.ttl, priority: +priority!, weight: +weight!, port: +port!, target: target!.slice(0, -1) };
  });
  return p.toBuffer();
}

function timeEncodes(fn: () => unknown, iterations: number): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - t) / 1e6 / iterations;
}

export async function codecBench(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const count of [3, 50, 500]) {
    const spec = srvAnswer(count);
    const iterations = count >= 500 ? 3 : count >= 50 ? 30 : 2000;
    const ours: number[] = [];
    const theirs: number[] = [];
    timeEncodes(() => encodeResponse(spec), iterations); // warm up
    timeEncodes(() => dns2Encode(spec), Math.min(iterations, 3));
    for (let round = 0; round < 7; round++) {
      ours.push(timeEncodes(() => encodeResponse(spec), iterations));
      theirs.push(timeEncodes(() => dns2Encode(spec), iterations));
    }
    rows.push({
      what: `encoding an answer of ${count} SRV records: srvctl's codec (linear, no SRV target compression)`,
      value: fmt(spread(ours), 'ms', 3),
      yardstick: "dns2's Packet.toBuffer (the codec it replaces on this path)",
      yardstickValue: fmt(spread(theirs), 'ms', 3),
      ratio: ratioSpread(ours, theirs),
    });
  }
  return rows;
}

interface PerfRun {
  qps: number;
  completed: number;
}

function dnsperf(port: number, input: string, seconds: number): Promise<PerfRun> {
  return new Promise((resolve, reject) =>
    execFile('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', input, '-l', String(seconds), '-c', '4', '-q', '200'], (err, stdout) => {
      const m = /Queries per second:\s+([\d.]+)/.exec(stdout);
      const done = /Queries completed:\s+(\d+)/.exec(stdout);
      if (!m || !done) reject(err ?? new Error(stdout));
      else resolve({ qps: Number(m[1]), completed: Number(done[1]) });
    }),
  );
}

/** CPU seconds (user + system, all threads) the processes have used so far, from /proc. */
async function cpuSeconds(pids: number[], tick: number): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  }
  return ticks / tick;
}

/**
 * One dnsperf run against a server, with the server's CPU time per answered query: the
 * figure the server controls, where q/s also depends on what else the two cores run.
 */
async function measured(port: number, input: string, pids: number[], tick: number): Promise<{ qps: number; cpuUs: number }> {
  const before = await cpuSeconds(pids, tick);
  const run = await dnsperf(port, input, 3);
  return { qps: run.qps, cpuUs: ((await cpuSeconds(pids, tick)) - before) * 1e6 / run.completed };
}

export async function serveBench(): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'srvctl-bench-serve-'));
  const started: Parameters<typeof stop>[0][] = [];
  try {
    const zone = join(dir, 'example.com.zone');
    await writeFile(
      zone,
      [
        '$ORIGIN example.com.', '$TTL 300', '@ IN SOA ns1 hostmaster 1 3600 600 604800 300', '@ IN NS ns1', 'ns1 IN A 127.0.0.1',
        ...[1, 2, 3].map((m) => `_etcd-server._tcp.c1 IN SRV 0 0 2380 n${m}.c1`),
        ...[1, 2, 3].map((m) => `_etcd-client._tcp.c1 IN SRV 0 0 2379 n${m}.c1`),
        ...[1, 2, 3].map((m) => `n${m}.c1 IN A 10.0.0.${m}`),
        '',
      ].join('\n'),
    );
    const input = join(dir, 'queries.txt');
    await writeFile(input, ['_etcd-server._tcp.c1.example.com SRV', 'n1.c1.example.com A', 'nope.c1.example.com A', '_etcd-client._tcp.c1.example.com SRV'].join('\n') + '\n');
    const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
    const single = await start(process.execPath, [CLI, 'serve', zone, '--origin', 'example.com', '--listen', `127.0.0.1:${p1}`], /serving zone/);
    started.push(single);
    const workers = await start(process.execPath, [CLI, 'serve', zone, '--origin', 'example.com', '--listen', `127.0.0.1:${p2}`, '--workers', '2'], /started 2 workers \(pids (\d+), (\d+)\)[^]*serving zone[^]*serving zone/);
    started.push(workers);
    await mkdir(join(dir, 'bind'));
    await writeFile(join(dir, 'bind', 'named.conf'), `options { directory "${join(dir, 'bind')}"; listen-on port ${p3} { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; notify no; dnssec-validation no; pid-file none; session-keyfile none; };\ncontrols { };\nzone "example.com" { type primary; file "${zone}"; };\n`);
    const named = await start('named', ['-g', '-c', join(dir, 'bind', 'named.conf')], /running/);
    started.push(named);
    const tick = await new Promise<number>((resolve) => execFile('getconf', ['CLK_TCK'], (err, out) => resolve(err ? 100 : Number(out.trim()) || 100)));
    const pidsOf = {
      one: [single.pid!],
      two: [workers.pid!, Number(workers.ready[1]), Number(workers.ready[2])],
      bind: [named.pid!],
    };
    const one: { qps: number; cpuUs: number }[] = [];
    const two: { qps: number; cpuUs: number }[] = [];
    const bind: { qps: number; cpuUs: number }[] = [];
    await dnsperf(p1, input, 1); // warm up
    await dnsperf(p2, input, 1);
    for (let round = 0; round < 5; round++) {
      one.push(await measured(p1, input, pidsOf.one, tick));
      bind.push(await measured(p3, input, pidsOf.bind, tick));
      two.push(await measured(p2, input, pidsOf.two, tick));
    }
    const qps = (v: typeof one) => v.map((x) => x.qps);
    const cpu = (v: typeof one) => v.map((x) => x.cpuUs);
    const yard = 'BIND 9 named, same zone, same dnsperf (-c 4 -q 200, 3 s runs), interleaved';
    const cpuYard = 'BIND 9 named (all its threads), same runs';
    return [
      { what: 'srvctl serve, one process, dnsperf', value: fmt(spread(qps(one)), 'q/s'), yardstick: yard, yardstickValue: fmt(spread(qps(bind)), 'q/s'), ratio: ratioSpread(qps(one), qps(bind)), goal: '≥ 0.9×' },
      { what: 'srvctl serve --workers 2, dnsperf', value: fmt(spread(qps(two)), 'q/s'), yardstick: yard, yardstickValue: fmt(spread(qps(bind)), 'q/s'), ratio: ratioSpread(qps(two), qps(bind)), goal: '≥ 1.2×' },
      { what: 'CPU time per answered query, srvctl serve, one process (user + system, from /proc)', value: fmt(spread(cpu(one)), 'µs', 1), yardstick: cpuYard, yardstickValue: fmt(spread(cpu(bind)), 'µs', 1), ratio: ratioSpread(cpu(one), cpu(bind)) },
      { what: 'CPU time per answered query, srvctl serve --workers 2 (primary and both workers)', value: fmt(spread(cpu(two)), 'µs', 1), yardstick: cpuYard, yardstickValue: fmt(spread(cpu(bind)), 'µs', 1), ratio: ratioSpread(cpu(two), cpu(bind)) },
    ];
  } finally {
    for (const c of started) await stop(c);
    await rm(dir, { recursive: true, force: true });
  }
}
