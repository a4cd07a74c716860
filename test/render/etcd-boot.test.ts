import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireManifest } from '../../src/manifest/load.js';
import { memberSettings } from '../../src/render/config.js';
import type { Format } from '../../src/render/formats.js';
import { renderMember } from '../../src/render/render.js';
import { isText, plain } from '../../src/render/text.js';
import { Bind, newKey } from '../support/bind.js';
import { run } from '../support/run.js';
import { DOMAIN, EtcdBed, type EtcdRelease, type MemberSpec } from '../support/etcdbed.js';

/**
 * Issue 17, done when: real etcd 3.4 (Debian 12, 3.4.23) and 3.5 (trixie 3.5.16, sid
 * 3.5.30) members started from srvctl's env (sourced by sh), etcd-yaml (--config-file) and
 * flags (run by bash) renders form one cluster in each bootstrap mode: srv (DNS SRV),
 * static (initial-cluster) and discovery (a local etcd 3.4 with --enable-v2 serving the v2
 * discovery protocol); `drift --etcd` then exits 0. Auto-TLS on every URL; then srv mode
 * once more on 3.5 over plain http (which 3.4 cannot bootstrap from), and on 3.4 and 3.5
 * with certificate files from a test CA.
 *
 * Every cluster lives in its own network namespace (named with the PID, so this file runs
 * beside any other), with its own BIND; all of them boot at once, and every wait ends on
 * an event: a log line, a process exit, the member list answering.
 */
const KEY = newKey('srvctl');
const ENV = { SRVCTL_TSIG: KEY.secret };
const IP = { node1: '127.0.0.11', node2: '127.0.0.12', node3: '127.0.0.13' } as const;
type Node = keyof typeof IP;
const HOW: Record<Node, Format> = { node1: 'env', node2: 'etcd-yaml', node3: 'flags' };
const DISCOVERY = 'http://127.0.0.1:4001';
const TOKEN_DIR = `${DISCOVERY}/v2/keys/discovery/tok-${process.pid}`;
const ZONE = `$ORIGIN ${DOMAIN}.\n$TTL 60\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n`;
const RELEASES: EtcdRelease[] = ['3.4', '3.5', '3.5-sid'];
const MODES = ['srv', 'static', 'discovery'] as const;
type Mode = (typeof MODES)[number];
/** what every etcd logs once its own name and client URLs are committed (3.4 capnslog, 3.5 zap) */
const PUBLISHED = /published .*to cluster/;

/**
 * One cluster of the matrix; `tls: false` is plain http on client and peer URLs, `certs`
 * certificate files from a CA of the test's (client-cert-auth on both) instead of auto-TLS.
 */
interface Case {
  release: EtcdRelease;
  mode: Mode;
  tls: boolean;
  certs?: boolean;
}
const CASES: Case[] = [
  ...RELEASES.flatMap((release) => MODES.map((mode) => ({ release, mode, tls: true }))),
  // SRV with plain-http peers: etcd 3.4 cannot bootstrap from it (etcd-io/etcd#11321, see
  // check), 3.5 can (fixed by #11776), so a 3.5 manifest may ask for it
  { release: '3.5', mode: 'srv', tls: false },
  // the nested client-/peer-transport-security keys of etcd-yaml and the certDir paths
  { release: '3.4', mode: 'srv', tls: true, certs: true },
  { release: '3.5', mode: 'srv', tls: true, certs: true },
];
const title = (c: Case) => `etcd ${c.release}, bootstrap: ${c.mode}${c.tls ? (c.certs ? ', certificate files' : '') : ', plain http'}`;

function manifest({ release, mode, tls, certs }: Case, dir: string): string {
  return `version: 1
cluster: boot-${mode}
domain: ${DOMAIN}
bootstrap: ${mode}
${mode === 'discovery' ? `discoveryUrl: ${TOKEN_DIR}\n` : ''}etcd: { version: "${release.slice(0, 3)}", tls: ${tls}, autoTls: ${tls && !certs}, token: boot-${mode} }
provider: { type: rfc2136, server: 127.0.0.1, port: 53, tsig: { name: srvctl, secretEnv: SRVCTL_TSIG } }
render:
  listenClientUrls: "{scheme}://{ipv4}:{clientPort}"
  dataDir: ${dir}/data-{name}
  certDir: ${dir}/certs
members:
${(Object.keys(IP) as Node[]).map((n) => `  - { name: ${n}, host: ${n}.${DOMAIN}, ipv4: ${IP[n]} }`).join('\n')}
verify: { wait: 20s, timeout: 1s }
`;
}

/** Files a client presents to a cluster with certificate files: verified against the CA, with node1's certificate. */
interface ClientTls {
  ca: string;
  cert?: string;
  key?: string;
}

/**
 * A script printing the members' names each member's v3 JSON gateway lists, retried until
 * all agree on three (or 20 s); `once`: the first answers. Auto-TLS certificates are
 * self-signed, so without `tls` the server is not verified.
 */
const gateways = (scheme: string, tls: ClientTls | null, once = false) => `
const fs = require('node:fs');
const urls = ${JSON.stringify(Object.values(IP).map((ip) => `${scheme}://${ip}:2379/v3/cluster/member/list`))};
const tls = ${JSON.stringify(tls)};
const opts = tls ? { ca: fs.readFileSync(tls.ca), ...(tls.cert ? { cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) } : {}) } : { rejectUnauthorized: false };
const names = (text) => { try { return (JSON.parse(text).members ?? []).map((m) => m.name ?? '').sort(); } catch { return [text.slice(0, 80)]; } };
const ask = (u) => new Promise((resolve) => {
  const req = require(u.startsWith('https:') ? 'node:https' : 'node:http').request(u, { method: 'POST', ...opts }, (r) => {
    let body = '';
    r.on('data', (d) => { body += d; });
    r.on('end', () => resolve({ status: r.statusCode, names: names(body) }));
  });
  req.on('error', (e) => resolve({ status: 0, names: [String(e.code ?? e)] }));
  req.end('{}');
});
const until = ${once ? 0 : 'Date.now() + 20000'};
(async function poll() {
  const all = await Promise.all(urls.map(ask));
  // a refused connection or a member not yet published is asked again; any other answer is final
  const again = all.some((a) => a.status === 0 || (a.status === 200 && a.names.filter(Boolean).length < 3));
  if (!again || Date.now() > until) console.log(JSON.stringify(all));
  else setTimeout(poll, 200);
})();
`;

/**
 * What etcd says it started with, from its own log: 3.5 logs one zap line "starting an
 * etcd server" with every setting; 3.4 (capnslog) logs a few as "embed: <what> = <value>".
 * A key the consumer dropped (a misspelt config-file key is ignored without a word) shows
 * up here as a default.
 */
function effective(log: string, release: EtcdRelease): Record<string, string> {
  if (release === '3.4') {
    const line = (what: string) => new RegExp(`embed: ${what} = (.*)$`, 'm').exec(log)?.[1] ?? '';
    const out: Record<string, string> = { name: line('name'), 'data-dir': line('data dir'), 'advertise-client-urls': line('advertise client URLs') };
    const discovery = /embed: discovery URL= (.*)$/m.exec(log)?.[1];
    if (discovery) out.discovery = discovery;
    return out;
  }
  const start = log.split('\n').find((l) => l.includes('"msg":"starting an etcd server"'));
  assert.ok(start, `no "starting an etcd server" line:\n${log.slice(-2000)}`);
  const doc = JSON.parse(start) as Record<string, unknown>;
  const text = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));
  const keys = ['name', 'data-dir', 'initial-advertise-peer-urls', 'listen-peer-urls', 'advertise-client-urls', 'listen-client-urls', 'initial-cluster-state', 'initial-cluster'];
  const out: Record<string, string> = Object.fromEntries(keys.map((k) => [k, text(doc[k])]));
  // with a discovery URL, etcd logs it as discovery-url and uses it as the cluster token
  if (doc['discovery-url']) out.discovery = text(doc['discovery-url']);
  else out['initial-cluster-token'] = text(doc['initial-cluster-token']);
  return out;
}

/**
 * A CA and, per member, one certificate for client and peer use (the render's default
 * paths {certDir}/{name}.crt and {name}-peer.crt), naming the member's host, its IP and
 * the discovery domain (etcd's DNS-discovery docs ask for the domain in the SAN). Also
 * 127.0.0.1: with peer-client-cert-auth etcd checks a peer's certificate against the
 * address the connection comes from, and on one loopback every member dials from
 * 127.0.0.1 (on separate machines that is the member's own IP, already named).
 */
async function makeCerts(dir: string): Promise<ClientTls> {
  mkdirSync(dir, { recursive: true });
  const script = [
    'set -e; cd "$1"',
    'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -subj /CN=boot-ca -days 2 2>/dev/null',
    ...(Object.keys(IP) as Node[]).map((n) =>
      [
        `printf 'subjectAltName=DNS:${n}.${DOMAIN},DNS:${DOMAIN},IP:${IP[n]},IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > ${n}.ext`,
        `openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ${n}.key -out ${n}.csr -subj /CN=${n} 2>/dev/null`,
        `openssl x509 -req -in ${n}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out ${n}.crt -days 2 -extfile ${n}.ext 2>/dev/null`,
        `cp ${n}.crt ${n}-peer.crt; cp ${n}.key ${n}-peer.key`,
      ].join('; '),
    ),
  ].join('; ');
  const r = await run('sh', ['-c', script, 'sh', dir]);
  assert.equal(r.code, 0, `openssl: ${r.stderr}`);
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'node1.crt'), key: join(dir, 'node1.key') };
}

interface Cluster {
  bed: EtcdBed;
  bind?: Bind;
}

describe('real etcd 3.4 and 3.5 bootstrapped from env, etcd-yaml and flags renders in srv, static and discovery modes', function () {
  this.timeout(180_000);
  const clusters: Cluster[] = [];
  const runs = new Map<string, Promise<Error | null>>();

  const spec = (n: string, ip: string, scheme: 'http' | 'https' = 'https'): MemberSpec => ({ name: n, ip, peerScheme: scheme });

  /** The v2 discovery service: a one-member etcd 3.4 with --enable-v2 and the token's _config/size. */
  async function discoveryService(bed: EtcdBed): Promise<void> {
    bed.startCommand(spec('discovery-service', '127.0.0.1', 'http'), [
      '/usr/bin/etcd', '--name', 'disco', '--enable-v2', '--data-dir', join(bed.dir, 'disco-data'),
      '--listen-client-urls', DISCOVERY, '--advertise-client-urls', DISCOVERY,
      '--listen-peer-urls', 'http://127.0.0.1:4002', '--initial-advertise-peer-urls', 'http://127.0.0.1:4002',
      '--initial-cluster', 'disco=http://127.0.0.1:4002',
    ]);
    await bed.waitForLog('discovery-service', /ready to serve client requests/);
    const put = `fetch('${TOKEN_DIR}/_config/size', { method: 'PUT', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'value=3' }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
    const r = await bed.exec([process.execPath, '-e', put]);
    assert.equal(r.code, 0, `PUT _config/size: ${r.stderr}`);
  }

  /** One cluster, start to finish: records, renders, members, gateways, drift. */
  async function scenario(c: Case): Promise<void> {
    const { release, mode } = c;
    const scheme = c.tls ? 'https' : 'http';
    const bed = new EtcdBed(`${release.replace(/\W/g, '')}${mode.slice(0, 4)}${c.tls ? (c.certs ? 'c' : '') : 'h'}`, release);
    const cluster: Cluster = { bed };
    clusters.push(cluster);
    await bed.setup(Object.values(IP));
    cluster.bind = new Bind({ zone: DOMAIN, zoneText: ZONE, port: 53, keys: [KEY], prefix: ['ip', 'netns', 'exec', bed.ns], dir: bed.dir });
    await cluster.bind.start();
    const clientTls = c.certs ? await makeCerts(join(bed.dir, 'certs')) : null;
    const file = join(bed.dir, 'cluster.yaml');
    const text = manifest(c, bed.dir);
    writeFileSync(file, text);
    if (release === '3.4' && mode === 'static') {
      // a format that cannot say auto-tls (cloud-config) stops sync before it writes anything
      const refused = await bed.srvctl(['sync', file, '--yes', '--format', 'cloud-config'], ENV);
      assert.equal(refused.code, 64, refused.stderr);
      assert.doesNotMatch(refused.stderr, /sent one signed UPDATE|Applied/);
    }
    // the SRV and address records: what srv mode bootstraps from, what the peer URLs'
    // names resolve to, and what drift compares with
    const synced = await bed.srvctl(['sync', file, '--yes'], ENV);
    assert.equal(synced.code, 0, synced.stderr);
    if (mode === 'discovery') await discoveryService(bed);

    const m = requireManifest(file, text).manifest;
    mkdirSync(join(bed.dir, 'renders'));
    for (const member of m.members) {
      const n = member.name as Node;
      const path = join(bed.dir, 'renders', `${n}.${HOW[n]}`);
      writeFileSync(path, renderMember(m, member, HOW[n]).text);
      const s = spec(n, IP[n], scheme);
      const etcd = bed.bin.etcd;
      if (HOW[n] === 'env') bed.startCommand(s, ['sh', '-c', 'set -a; . "$1"; exec "$2"', 'sh', path, etcd]);
      else if (HOW[n] === 'etcd-yaml') bed.startCommand(s, [etcd, '--config-file', path]);
      // the render is a command line starting `etcd`; `exec` keeps the PID etcd's, so stop() stops etcd
      else bed.startCommand(s, ['bash', '-c', 'bin=$1; etcd() { exec "$bin" "$@"; }; . "$2"', 'bash', etcd, path]);
    }
    const logs = Object.fromEntries(await Promise.all((Object.keys(IP) as Node[]).map(async (n) => [n, await bed.waitForLog(n, PUBLISHED, 90_000)] as const)));

    // each consumer (sh, --config-file, bash) carried every setting the render holds
    for (const member of m.members) {
      const log = logs[member.name]!;
      const seen = effective(log, release);
      const rendered = Object.fromEntries(memberSettings(m, member).flatMap((x) => (isText(x.value) && x.key in seen ? [[x.key, plain(x.value)]] : [])));
      // in srv mode etcd writes initial-cluster itself, from the SRV records
      const compared = Object.fromEntries(Object.keys(seen).filter((k) => k !== 'initial-cluster' || mode === 'static').map((k) => [k, seen[k]]));
      assert.deepEqual(compared, Object.fromEntries(Object.keys(compared).map((k) => [k, rendered[k]])), `${member.name} (${HOW[member.name as Node]}) on etcd ${release}`);
      // nothing the render wrote is unknown or deprecated to this etcd (3.4 also warns that
      // its own default logger, capnslog, is deprecated: renders leave the logger alone)
      const warned = log.split('\n').filter((l) => /unrecognized environment variable|deprecated/i.test(l) && !/Deprecated '--logger=capnslog' flag is set/.test(l));
      assert.deepEqual(warned, [], `${member.name} (${HOW[member.name as Node]}) on etcd ${release}`);
    }

    // every member's gateway answers (the --config-file one only with enable-grpc-gateway: true)
    const gw = await bed.exec([process.execPath, '-e', gateways(scheme, clientTls)], 30_000);
    assert.equal(gw.code, 0, gw.stderr);
    const answers = JSON.parse(gw.stdout) as { status: number; names: string[] }[];
    assert.deepEqual(answers.map((a) => [a.status, a.names]), Object.keys(IP).map(() => [200, ['node1', 'node2', 'node3']]), `${gw.stdout}\n${bed.logs(12)}`);

    if (clientTls) {
      // client-cert-auth reached every member: without a client certificate, no handshake
      const bare = await bed.exec([process.execPath, '-e', gateways(scheme, { ca: clientTls.ca }, true)], 30_000);
      assert.deepEqual((JSON.parse(bare.stdout) as { status: number }[]).map((a) => a.status), [0, 0, 0], bare.stdout);
    }
    const tlsArgs = clientTls ? ['--cacert', clientTls.ca, '--cert', clientTls.cert!, '--key', clientTls.key!] : ['--insecure-skip-tls-verify'];
    const d = await bed.srvctl(['drift', file, '--etcd', ...tlsArgs, '--json'], ENV);
    assert.equal(d.code, 0, `${d.stdout}\n${d.stderr}`);
    const found = JSON.parse(d.stdout).clusters[0];
    assert.deepEqual([found.ok, found.findings], [true, []]);
    await bed.stopMembers();
  }

  before(function () {
    // every cluster boots at once; each test below awaits its own
    for (const c of CASES) runs.set(title(c), scenario(c).then(() => null, (e: Error) => e));
  });
  after(async () => {
    await Promise.allSettled(runs.values());
    await Promise.all(
      clusters.map(async ({ bed, bind }) => {
        await bed.stopMembers();
        await bind?.stop();
        await bed.teardown();
      }),
    );
  });

  for (const c of CASES) {
    it(`${title(c)}: the three members form one cluster; drift --etcd exits 0`, async () => {
      const failed = await runs.get(title(c))!;
      if (failed) throw failed;
    });
  }
});
