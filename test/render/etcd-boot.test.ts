import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireManifest } from '../../src/manifest/load.js';
import type { Format } from '../../src/render/formats.js';
import { renderMember } from '../../src/render/render.js';
import { Bind, newKey } from '../support/bind.js';
import { DOMAIN, EtcdBed, type MemberSpec } from '../support/etcdbed.js';

/**
 * Issue 17, the seed's other two mechanisms: real etcd 3.4 members started from srvctl's
 * env (sourced by sh), etcd-yaml (--config-file) and flags (run by bash) renders form one
 * cluster in static mode, then in discovery mode against a local etcd 3.4 serving the v2
 * discovery protocol; `drift --etcd` then finds nothing. (SRV mode: test/drift.)
 */
const KEY = newKey('srvctl');
const IP = { node1: '127.0.0.11', node2: '127.0.0.12', node3: '127.0.0.13' } as const;
type Node = keyof typeof IP;
const HOW: Record<Node, Format> = { node1: 'env', node2: 'etcd-yaml', node3: 'flags' };
const DISCOVERY = 'http://127.0.0.1:4001';
const ZONE = `$ORIGIN ${DOMAIN}.\n$TTL 60\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n`;

function manifest(mode: 'static' | 'discovery', dir: string): string {
  return `version: 1
cluster: boot
domain: ${DOMAIN}
bootstrap: ${mode}
${mode === 'discovery' ? `discoveryUrl: ${DISCOVERY}/v2/keys/discovery/tok-${process.pid}\n` : ''}etcd: { version: "3.4", tls: true, autoTls: true, token: boot-${mode} }
provider: { type: rfc2136, server: 127.0.0.1, port: 53, tsig: { name: srvctl, secretEnv: SRVCTL_TSIG } }
render:
  listenClientUrls: "https://{ipv4}:{clientPort}"
  dataDir: ${dir}/data-${mode}-{name}
members:
${(Object.keys(IP) as Node[]).map((n) => `  - { name: ${n}, host: ${n}.${DOMAIN}, ipv4: ${IP[n]} }`).join('\n')}
verify: { wait: 20s, timeout: 1s }
`;
}

describe('real etcd 3.4 bootstrapped from env, etcd-yaml and flags renders: static and discovery modes', function () {
  this.timeout(120_000);
  let bed: EtcdBed;
  let bind: Bind;
  const spec = (n: string, ip: string, scheme: 'http' | 'https' = 'https'): MemberSpec => ({ name: n, ip, peerScheme: scheme });
  const members = async () => {
    const r = await bed.exec(['etcdctl', '--endpoints', `https://${IP.node1}:2379`, '--insecure-skip-tls-verify', '--insecure-transport=false', '--command-timeout=2s', 'member', 'list', '-w', 'json'], 10_000);
    if (r.code !== 0) return null;
    return (JSON.parse(r.stdout.replace(/"ID":(\d+)/g, '"ID":"$1"')) as { members: { name?: string; peerURLs: string[] }[] }).members;
  };
  const waitFor = async (what: string, ok: () => Promise<boolean>, ms = 40_000) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (await ok()) return;
      const logs = bed.logs(12);
      if (/^--- \S+ \(exited/m.test(logs)) assert.fail(`a member exited while waiting for ${what}\n${logs}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.fail(`timed out waiting for ${what}\n${bed.logs()}`);
  };

  /** Writes each member's render and starts it the way its consumer runs it. */
  const boot = (mode: 'static' | 'discovery') => {
    const file = join(bed.dir, `${mode}.yaml`);
    writeFileSync(file, manifest(mode, bed.dir));
    const m = requireManifest(file, manifest(mode, bed.dir)).manifest;
    mkdirSync(join(bed.dir, mode), { recursive: true });
    for (const member of m.members) {
      const n = member.name as Node;
      const path = join(bed.dir, mode, `${n}.${HOW[n]}`);
      writeFileSync(path, renderMember(m, member, HOW[n]).text);
      const s = spec(n, IP[n]);
      if (HOW[n] === 'env') bed.startCommand(s, ['sh', '-c', 'set -a; . "$1"; exec etcd', 'sh', path]);
      else if (HOW[n] === 'etcd-yaml') bed.startCommand(s, ['etcd', '--config-file', path]);
      // the render is a command line; `exec` keeps the PID etcd's, so stop() stops etcd
      else bed.startCommand(s, ['bash', '-c', 'etcd() { exec etcd "$@"; }; . "$1"', 'bash', path]);
    }
    return file;
  };

  const formsAndDrifts = async (file: string) => {
    await waitFor('three started members', async () => (await members())?.filter((x) => x.name).length === 3);
    const list = (await members())!;
    assert.deepEqual(list.map((x) => x.name).sort(), ['node1', 'node2', 'node3']);
    // the gRPC gateway of the --config-file member answers (enable-grpc-gateway: true)
    const gw = await bed.exec(['env', 'NODE_TLS_REJECT_UNAUTHORIZED=0', process.execPath, '-e', `fetch('https://${IP.node2}:2379/v3/cluster/member/list', { method: 'POST', body: '{}' }).then(async (r) => { console.log(r.status, JSON.parse(await r.text()).members.length); })`]);
    assert.equal(gw.stdout.trim(), '200 3', gw.stderr);
    const d = await bed.srvctl(['drift', file, '--etcd', '--insecure-skip-tls-verify', '--json'], { SRVCTL_TSIG: KEY.secret });
    assert.equal(d.code, 0, `${d.stdout}\n${d.stderr}`);
    const cluster = JSON.parse(d.stdout).clusters[0];
    assert.deepEqual([cluster.ok, cluster.findings], [true, []]);
  };

  before(async () => {
    bed = new EtcdBed('boot');
    await bed.setup([...Object.values(IP)]);
    bind = new Bind({ zone: DOMAIN, zoneText: ZONE, port: 53, keys: [KEY], prefix: ['ip', 'netns', 'exec', bed.ns], dir: bed.dir });
    await bind.start();
    const file = join(bed.dir, 'records.yaml');
    writeFileSync(file, manifest('static', bed.dir));
    // a format that cannot say auto-tls (cloud-config) stops sync before it writes anything
    const refused = await bed.srvctl(['sync', file, '--yes', '--format', 'cloud-config'], { SRVCTL_TSIG: KEY.secret });
    assert.equal(refused.code, 64, refused.stderr);
    assert.doesNotMatch(refused.stderr, /sent one signed UPDATE|Applied/);
    // the SRV and address records drift compares with (and the peer URLs' names resolve through)
    const s = await bed.srvctl(['sync', file, '--yes', '--format', 'env', '--out', join(bed.dir, 'sync-env')], { SRVCTL_TSIG: KEY.secret });
    assert.equal(s.code, 0, s.stderr);
  });
  after(async () => {
    await bed?.stopMembers();
    await bind?.stop();
    await bed?.teardown();
  });

  it('static: initial-cluster from the manifest; the three members form one cluster', async () => {
    const file = boot('static');
    await formsAndDrifts(file);
    await bed.stopMembers();
  });

  it('discovery: members register at a v2 discovery URL (etcd 3.4 --enable-v2 holding _config/size) and form the cluster', async () => {
    const data = join(bed.dir, 'disco-data');
    bed.startCommand(spec('discovery-service', '127.0.0.1', 'http'), [
      'etcd', '--name', 'disco', '--enable-v2', '--data-dir', data,
      '--listen-client-urls', DISCOVERY, '--advertise-client-urls', DISCOVERY,
      '--listen-peer-urls', 'http://127.0.0.1:4002', '--initial-advertise-peer-urls', 'http://127.0.0.1:4002',
      '--initial-cluster', 'disco=http://127.0.0.1:4002',
    ]);
    const put = `fetch('${DISCOVERY}/v2/keys/discovery/tok-${process.pid}/_config/size', { method: 'PUT', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'value=3' }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
    await waitFor('the discovery service', async () => (await bed.exec([process.execPath, '-e', put])).code === 0);
    const file = boot('discovery');
    await formsAndDrifts(file);
  });
});
