import { Resolver } from 'node:dns/promises';
import { mkdtemp, mkdir, readFile, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from '../src/dns/transport.js';
import { mapLimit } from '../src/util/limit.js';
import { CLI, fmtMs, fmtRatio, fmtStats, interleaved, median, medianOf, nodeWithMaxRss, pairRow, ratio, RUNS, start, statsOf, stop, timeOnce, type Row } from './lib.js';

const ZONE_HEAD = '$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 604800 300\n@ IN NS ns1\nns1 IN A 127.0.0.1\n';

function clusterRecords(c: number, members = 3): string {
  const lines: string[] = [];
  for (let m = 1; m <= members; m++) {
    lines.push(`_etcd-server._tcp.c${c}.example.com. 300 IN SRV 0 0 2380 n${m}.c${c}.example.com.`);
    lines.push(`_etcd-client._tcp.c${c}.example.com. 300 IN SRV 0 0 2379 n${m}.c${c}.example.com.`);
    lines.push(`n${m}.c${c}.example.com. 300 IN A 10.${c >> 8}.${c & 255}.${m}`);
  }
  return lines.join('\n');
}

function manifestFor(c: number, zonePath: string, extra = ''): string {
  return `version: 1\ncluster: c${c}\ndomain: c${c}.example.com\nprovider: { type: zonefile, zone: example.com, path: ${zonePath} }\nmembers:\n${[1, 2, 3]
    .map((m) => `  - { name: n${m}, host: n${m}.c${c}.example.com, ipv4: 10.${c >> 8}.${c & 255}.${m} }`)
    .join('\n')}\n${extra}`;
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'srvctl-bench-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A UDP relay in its own process that drops `loss` of the datagrams each way. */
const RELAY = `
const dgram = require('node:dgram');
const [target, loss] = [Number(process.argv[1]), Number(process.argv[2])];
const front = dgram.createSocket('udp4');
const backs = new Map();
front.on('message', (m, r) => {
  if (Math.random() < loss) return;
  const key = r.port;
  let back = backs.get(key);
  if (!back) {
    back = dgram.createSocket('udp4');
    back.on('message', (reply) => { if (Math.random() >= loss) front.send(reply, r.port, r.address); });
    backs.set(key, back);
  }
  back.send(m, target, '127.0.0.1');
});
front.bind(0, '127.0.0.1', () => process.stderr.write('relay ' + front.address().port + '\\n'));
`;

/** srvctl's transport vs Node's c-ares resolver: 10,000 lookups, same server, same concurrency, then through 1% loss. */
export async function transportBench(): Promise<Row[]> {
  return withDir(async (dir) => {
    const zone = join(dir, 'example.com.zone');
    await writeFile(zone, `${ZONE_HEAD}${clusterRecords(1)}\n`);
    const { freePort } = await import('../test/support/ports.js');
    const port = await freePort();
    const server = await start(process.execPath, [CLI, 'serve', zone, '--listen', `127.0.0.1:${port}`], /serving zone/);
    const name = '_etcd-server._tcp.c1.example.com';
    const N = 10_000;
    const CONC = 100;
    const runOurs = async (p: number) => {
      let wrong = 0;
      let failed = 0;
      const t = Date.now();
      await mapLimit(Array.from({ length: N }), CONC, async () => {
        try {
          const a = await query({ host: '127.0.0.1', port: p }, name, 'SRV', { timeoutMs: 300, retries: 2 });
          if (a.answers.length !== 3) wrong++;
        } catch {
          failed++;
        }
      });
      return { ms: Date.now() - t, wrong, failed };
    };
    const runCares = async (p: number) => {
      const r = new Resolver({ timeout: 300, tries: 3 });
      r.setServers([`127.0.0.1:${p}`]);
      let wrong = 0;
      let failed = 0;
      const t = Date.now();
      await mapLimit(Array.from({ length: N }), CONC, async () => {
        try {
          if ((await r.resolveSrv(name)).length !== 3) wrong++;
        } catch {
          failed++;
        }
      });
      return { ms: Date.now() - t, wrong, failed };
    };
    try {
      const ours = await runOurs(port);
      const cares = await runCares(port);
      const relay = await start(process.execPath, ['-e', RELAY, String(port), '0.01'], /relay (\d+)/);
      const relayPort = Number(relay.ready[1]);
      const oursLossy = await runOurs(relayPort);
      const caresLossy = await runCares(relayPort);
      await stop(relay);
      const qps = (r: { ms: number }) => (N / r.ms) * 1000;
      return [
        { what: `srvctl transport: ${N} SRV lookups, ${CONC} at a time (${ours.wrong} wrong, ${ours.failed} failed)`, value: `${qps(ours).toFixed(0)} q/s`, yardstick: `Node dns.Resolver (c-ares), same lookups (${cares.wrong} wrong, ${cares.failed} failed)`, yardstickValue: `${qps(cares).toFixed(0)} q/s`, ratio: ratio(qps(ours), qps(cares)) },
        { what: 'same through a relay dropping 1% of datagrams each way: failed lookups (srvctl: 300 ms × 3 tries)', value: `${oursLossy.failed} failed, ${oursLossy.wrong} wrong`, yardstick: 'c-ares, 300 ms × 3 tries', yardstickValue: `${caresLossy.failed} failed, ${caresLossy.wrong} wrong`, ratio: caresLossy.failed ? ratio(oursLossy.failed, caresLossy.failed) : `${oursLossy.failed} vs 0` },
      ];
    } finally {
      await stop(server);
    }
  });
}

/** Writes a zone of about `total` records: 1,000 three-member clusters plus filler hosts. */
async function bigZone(path: string, total: number): Promise<void> {
  const clusters = Math.min(1000, Math.floor(total / 20));
  const parts = [ZONE_HEAD];
  for (let c = 0; c < clusters; c++) parts.push(clusterRecords(c));
  const filler = total - clusters * 9 - 3;
  for (let i = 0; i < filler; i++) parts.push(`host${i}.other.example.com. 300 IN A 192.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  await writeFile(path, `${parts.join('\n')}\n`);
}

/**
 * plan of one cluster in zone files of 10k, 100k and 1M records vs named-checkzone loading the
 * same file, interleaved; peak memory (maxRSS) beside. Growth is stated from the 10k row.
 */
export async function bigZoneBench(): Promise<Row[]> {
  const rows: Row[] = [];
  const goals: Record<number, [string, string]> = { 100_000: ['≤ 1.3×', '≤ 150 MiB'], 1_000_000: ['≤ 0.8×', '≤ 650 MiB'] };
  let first: { records: number; ms: number } | undefined;
  for (const records of [10_000, 100_000, 1_000_000]) {
    await withDir(async (dir) => {
      const zone = join(dir, 'example.com.zone');
      await bigZone(zone, records);
      const manifest = join(dir, 'c500.yaml');
      await writeFile(manifest, manifestFor(500, zone));
      const rss: number[] = [];
      const runs = records >= 1_000_000 ? 3 : 5;
      const m = await interleaved(
        runs,
        async () => {
          const r = await nodeWithMaxRss([CLI, 'plan', manifest]);
          rss.push(r.maxRssKiB / 1024);
          return r.ms;
        },
        () => timeOnce('named-checkzone', ['-q', 'example.com', zone]),
      );
      const size = (await stat(zone)).size / 2 ** 20;
      const peak = statsOf(rss.slice(1));
      first ??= { records, ms: m.subject.median };
      const growth = records === first.records ? '' : `; time grows ${(m.subject.median / first.ms).toFixed(1)}× for ${records / first.records}× the records`;
      rows.push(pairRow(`srvctl plan of 1 cluster in a ${records.toLocaleString('en')}-record zone file${growth}`, 'named-checkzone loading the same file', m, goals[records]?.[0]));
      rows.push({ what: `peak memory of that plan (maxRSS), ${records.toLocaleString('en')} records`, value: fmtStats(peak, (v) => `${v.toFixed(0)} MiB`), yardstick: 'size of the zone file', yardstickValue: `${size.toFixed(1)} MiB`, ratio: ratio(peak.median, size), goal: goals[records]?.[1] });
    });
  }
  return rows;
}

/** Embedded server vs BIND serving the same zone, both measured with dnsperf. */
export async function serverBench(): Promise<Row[]> {
  return withDir(async (dir) => {
    const zone = join(dir, 'example.com.zone');
    await writeFile(zone, `${ZONE_HEAD}${clusterRecords(1)}\n`);
    const input = join(dir, 'queries.txt');
    await writeFile(input, ['_etcd-server._tcp.c1.example.com SRV', 'n1.c1.example.com A', 'nope.c1.example.com A', '_etcd-client._tcp.c1.example.com SRV'].join('\n') + '\n');
    const dnsperf = async (port: number) => {
      const { execFile } = await import('node:child_process');
      return new Promise<number>((res, rej) =>
        execFile('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', input, '-l', '4', '-c', '4', '-q', '200'], (err, stdout) => {
          const m = /Queries per second:\s+([\d.]+)/.exec(stdout);
          if (!m) rej(err ?? new Error(stdout));
          else res(Number(m[1]));
        }),
      );
    };
    const { freePort: freePortFor } = await import('../test/support/ports.js');
    const p1 = await freePortFor();
    const srv = await start(process.execPath, [CLI, 'serve', zone, '--listen', `127.0.0.1:${p1}`], /serving zone/);
    let ours: number;
    try {
      ours = await dnsperf(p1);
    } finally {
      await stop(srv);
    }
    const p2 = await freePortFor();
    await mkdir(join(dir, 'bind'));
    await writeFile(join(dir, 'bind', 'named.conf'), `options { directory "${join(dir, 'bind')}"; listen-on port ${p2} { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; notify no; dnssec-validation no; pid-file none; session-keyfile none; };\ncontrols { };\nzone "example.com" { type primary; file "${zone}"; };\n`);
    const named = await start('named', ['-g', '-c', join(dir, 'bind', 'named.conf')], /running/);
    let bind: number;
    try {
      bind = await dnsperf(p2);
    } finally {
      await stop(named);
    }
    return [{ what: 'srvctl serve (embedded server), dnsperf 4 s, 4 clients, 200 outstanding', value: `${ours.toFixed(0)} q/s`, yardstick: 'BIND 9 named, same zone, same dnsperf', yardstickValue: `${bind.toFixed(0)} q/s`, ratio: ratio(ours, bind) }];
  });
}

/** Cloudflare requests per sync, counted at the contract-checked fake. */
export async function cloudflareBench(): Promise<Row[]> {
  const { FakeCloudflare } = await import('../test/support/cloudflare/fake.js');
  const rows: Row[] = [];
  const { ROOT } = await import('./lib.js');
  // What a cloudflare command pays to load the SDK: the bundled chunk vs the package as
  // npm installs it (the import before the bundle), each less a bare node start.
  const chunk = join(ROOT, 'dist/bundle', JSON.parse(await readFile(join(ROOT, 'dist/bundle/chunks.json'), 'utf8')).cloudflare[0]);
  const importOf = (file: string) => () => timeOnce(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(file)})`]);
  const bare = () => timeOnce(process.execPath, ['-e', '0']);
  const bundled: number[] = [];
  const unbundled: number[] = [];
  for (let i = 0; i < 8; i++) {
    const b0 = await bare();
    bundled.push((await importOf(chunk)()) - b0);
    const b1 = await bare();
    unbundled.push((await importOf(join(ROOT, 'node_modules/cloudflare/index.mjs'))()) - b1);
  }
  rows.push({ what: 'importing the Cloudflare SDK from its bundled chunk (node + import, minus bare node; interleaved)', value: fmtStats(statsOf(bundled.slice(1))), yardstick: 'importing the SDK package as npm installs it', yardstickValue: fmtStats(statsOf(unbundled.slice(1))), ratio: fmtRatio(statsOf(bundled.slice(1).map((v, i) => v / unbundled[i + 1]!))), goal: '≤ 0.3×' });
  for (const members of [3, 50, 500]) {
    await withDir(async (dir) => {
      const fake = new FakeCloudflare();
      await fake.start();
      fake.addZone('example.com');
      fake.tokens.set('t', 'edit');
      const m = join(dir, 'c.yaml');
      const list = Array.from({ length: members }, (_, i) => `  - { name: n${i}, host: n${i}.c.example.com, ipv4: 10.1.${i >> 8}.${i & 255} }`).join('\n');
      await writeFile(m, `version: 1\ncluster: c\ndomain: c.example.com\nprovider: { type: cloudflare, zone: example.com, baseUrl: "${fake.baseUrl}" }\nmembers:\n${list}\n`);
      const t = Date.now();
      await timeOnce(process.execPath, [CLI, 'sync', m, '--yes', '--no-verify', '--member', 'n0'], { CLOUDFLARE_API_TOKEN: 't' });
      const ms = Date.now() - t;
      const first = fake.requests.length;
      const changes = fake.records.length;
      fake.requests.length = 0;
      await timeOnce(process.execPath, [CLI, 'sync', m, '--yes', '--no-verify', '--member', 'n0'], { CLOUDFLARE_API_TOKEN: 't' });
      rows.push({ what: `Cloudflare sync of ${members} members (${changes} records with markers), first / second run, ${fmtMs(ms)} first`, value: `${first} / ${fake.requests.length} requests`, yardstick: 'one request per record (how octoDNS and DNSControl apply)', yardstickValue: `${changes} requests`, ratio: ratio(first, changes) });
      await fake.stop();
    });
  }
  return rows;
}

/**
 * A 50-member sync into BIND over RFC 2136 vs nsupdate sending the same additions, each
 * into a fresh BIND (started and stopped outside the timing), interleaved A B A B after
 * one warm-up of each (`interleaved`). The additions are what srvctl wrote, read back by
 * AXFR after the warm-up.
 */
export async function rfc2136Bench(): Promise<Row[]> {
  const { Bind, newKey } = await import('../test/support/bind.js');
  const { freePort: freePortFor } = await import('../test/support/ports.js');
  const { execFile } = await import('node:child_process');
  return withDir(async (dir) => {
    const key = newKey('srvctl');
    const zoneText = `$TTL 300\n@ IN SOA ns1.example.com. h.example.com. 1 3600 600 604800 300\n@ IN NS ns1.example.com.\nns1.example.com. IN A 127.0.0.1\n`;
    const members = 50;
    const list = Array.from({ length: members }, (_, i) => `  - { name: n${i}, host: n${i}.c.example.com, ipv4: 10.2.0.${i + 1} }`).join('\n');
    const m = join(dir, 'c.yaml');
    const script = join(dir, 'nsupdate.txt');
    let adds: string[] = [];
    const fresh = async <T>(fn: (port: number) => Promise<T>): Promise<T> => {
      const bind = new Bind({ zone: 'example.com', zoneText, port: await freePortFor(), keys: [key] });
      await bind.start();
      try {
        return await fn(bind.port);
      } finally {
        await bind.dispose();
      }
    };
    const subject = () =>
      fresh(async (port) => {
        await writeFile(m, `version: 1\ncluster: c\ndomain: c.example.com\nprovider: { type: rfc2136, zone: example.com, server: 127.0.0.1, port: ${port}, tsig: { name: srvctl, secretEnv: T } }\nmembers:\n${list}\n`);
        const ms = await timeOnce(process.execPath, [CLI, 'sync', m, '--yes', '--no-verify', '--member', 'n0'], { T: key.secret });
        if (adds.length === 0) {
          // The same records, as nsupdate would send them: one message with every addition.
          const axfr = await new Promise<string>((res) => execFile('dig', ['@127.0.0.1', '-p', String(port), 'example.com', 'AXFR', '-y', `hmac-sha256:srvctl:${key.secret}`, '+nocmd', '+nostats', '+nocomments'], (_e, out) => res(out)));
          adds = axfr.split('\n').filter((l) => /\t(SRV|A|TXT)\t/.test(l) && !/^ns1\./.test(l) && /\.c\.example\.com\./.test(l));
        }
        return ms;
      });
    const yardstick = () =>
      fresh(async (port) => {
        await writeFile(script, [`server 127.0.0.1 ${port}`, 'zone example.com', ...adds.map((l) => `update add ${l.replace(/\t+/g, ' ')}`), 'send', ''].join('\n'));
        return timeOnce('nsupdate', ['-y', `hmac-sha256:srvctl:${key.secret}`, script]);
      });
    const r = await interleaved(Math.min(RUNS, 7), subject, yardstick);
    const changes = adds.length;
    return [
      pairRow(`srvctl sync of ${members} members into BIND (${changes} changes: read by AXFR, preflight, signed UPDATE, render), interleaved with`, 'nsupdate sending the same additions in one message', r, '≤ 4×'),
      { what: 'updates per second, same runs', value: `${((changes / r.subject.median) * 1000).toFixed(0)}/s`, yardstick: 'nsupdate', yardstickValue: `${((changes / r.yardstick.median) * 1000).toFixed(0)}/s`, ratio: ratio(r.yardstick.median, r.subject.median) },
    ];
  });
}

/**
 * drift over 10, 100 and 1,000 manifests against one local nameserver vs Node's c-ares
 * resolver making the same queries, interleaved; growth stated from the first row. A last
 * row checks 1,000 manifests without verify.nameservers (the default for a zone file: the
 * embedded server answers), against the same yardstick.
 */
export async function driftBench(): Promise<Row[]> {
  const rows: Row[] = [];
  let first: { count: number; ms: number } | undefined;
  for (const { count, embedded } of [{ count: 10 }, { count: 100 }, { count: 1000 }, { count: 1000, embedded: true }]) {
    await withDir(async (dir) => {
      const zone = join(dir, 'example.com.zone');
      const parts = [ZONE_HEAD];
      for (let c = 0; c < count; c++) parts.push(clusterRecords(c));
      await writeFile(zone, `${parts.join('\n')}\n`);
      const { freePort: freePortFor } = await import('../test/support/ports.js');
      const port = await freePortFor();
      const server = await start(process.execPath, [CLI, 'serve', zone, '--listen', `127.0.0.1:${port}`], /serving zone/);
      try {
        await mkdir(join(dir, 'clusters'));
        // Unowned records: drift reports conflicts, and asks every nameserver for every RRset.
        for (let c = 0; c < count; c++) await writeFile(join(dir, 'clusters', `c${c}.yaml`), manifestFor(c, zone, embedded ? '' : `verify: { nameservers: ["127.0.0.1:${port}"] }\n`));
        const r = new Resolver({ timeout: 1000, tries: 2 });
        r.setServers([`127.0.0.1:${port}`]);
        const names = Array.from({ length: count }, (_, c) => [`_etcd-server._tcp.c${c}.example.com`, `_etcd-client._tcp.c${c}.example.com`, ...[1, 2, 3].map((m) => `n${m}.c${c}.example.com`)]).flat();
        const rss: number[] = [];
        const m = await interleaved(
          count >= 1000 ? 3 : 5,
          async () => {
            const d = await nodeWithMaxRss([CLI, 'drift', join(dir, 'clusters')]);
            // Exit 2 is the drift these foreign records are; anything else is a run that failed, not a time.
            if (d.code !== 2) throw new Error(`srvctl drift over ${count} manifests exited ${d.code}, not 2`);
            rss.push(d.maxRssKiB / 1024);
            return d.ms;
          },
          async () => {
            const t = Date.now();
            await mapLimit(names, 4 * 32, async (n) => void (n.startsWith('_') ? await r.resolveSrv(n) : await r.resolve4(n)));
            return Date.now() - t;
          },
        );
        const perManifest = `${(m.subject.median / count).toFixed(2)} ms per manifest`;
        if (embedded) {
          rows.push(pairRow(`srvctl drift over ${count} manifests without verify.nameservers (the embedded server answers: ${names.length} RRsets, peak ${median(rss).toFixed(0)} MiB; ${perManifest})`, `Node dns.Resolver (c-ares) making the same ${names.length} queries of srvctl serve`, m));
          return;
        }
        first ??= { count, ms: m.subject.median };
        const growth = count === first.count ? '' : `; time grows ${(m.subject.median / first.ms).toFixed(1)}× for ${count / first.count}× the manifests`;
        rows.push(pairRow(`srvctl drift over ${count} manifests (${names.length} RRsets asked of one nameserver, peak ${median(rss).toFixed(0)} MiB; ${perManifest})${growth}`, `Node dns.Resolver (c-ares) making the same ${names.length} queries`, m, count === 1000 ? '≤ 8×' : undefined));
      } finally {
        await stop(server);
      }
    });
  }
  return rows;
}
