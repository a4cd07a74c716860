import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bind, newKey } from '../support/bind.js';
import { DOMAIN, EtcdBed, type MemberSpec } from '../support/etcdbed.js';

/**
 * Real etcd 3.4 bootstrapped from srvctl's own renders (env and etcd-yaml), a fourth member
 * joined through sync, and drift caught for each way DNS and the cluster fall apart.
 */
const KEY = newKey('srvctl');
const ENV = { SRVCTL_TSIG: KEY.secret };
const IP = { node1: '127.0.0.11', node2: '127.0.0.12', node3: '127.0.0.13', node4: '127.0.0.14' } as const;
const CLIENT = { node1: 2379, node2: 2479, node3: 2579, node4: 2679 } as const;
type Node = keyof typeof IP;

const ZONE = `$ORIGIN ${DOMAIN}.\n$TTL 60\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n`;

function manifest(nodes: Node[], extra = ''): string {
  return `version: 1
cluster: live
domain: ${DOMAIN}
etcd: { version: "3.4", tls: true, autoTls: true, token: live-token }
provider: { type: rfc2136, server: 127.0.0.1, port: 53, tsig: { name: srvctl, secretEnv: SRVCTL_TSIG } }
members:
${nodes.map((n) => `  - { name: ${n}, host: ${n}.${DOMAIN}, ipv4: ${IP[n]}, clientPort: ${CLIENT[n]}${n === 'node4' ? ', state: existing' : ''} }`).join('\n')}
verify: { wait: 20s, timeout: 1s${extra} }
`;
}

describe('drift and joining against real etcd 3.4, BIND and the rfc2136 provider (network namespace)', function () {
  this.timeout(300_000);
  let bed: EtcdBed;
  let primary: Bind;
  let lagging: Bind | undefined;
  let file: string;
  const spec = (n: Node): MemberSpec => ({ name: n, ip: IP[n], peerScheme: 'https' });
  const srvctl = (...args: string[]) => bed.srvctl(args, ENV);
  const driftRun = async () => {
    const r = await srvctl('drift', file, '--etcd', '--insecure-skip-tls-verify', '--json');
    assert.ok([0, 1, 2].includes(r.code), r.stderr);
    return { code: r.code, doc: JSON.parse(r.stdout), stderr: r.stderr };
  };
  const members = async () => {
    const r = await bed.exec(['etcdctl', '--endpoints', `https://${IP.node1}:${CLIENT.node1}`, '--insecure-skip-tls-verify', '--insecure-transport=false', '--command-timeout=2s', 'member', 'list', '-w', 'json'], 10_000);
    if (r.code !== 0) return null;
    const doc = JSON.parse(r.stdout.replace(/"ID":(\d+)/g, '"ID":"$1"')) as { members: { ID: string; name?: string; peerURLs: string[] }[] };
    return doc.members;
  };
  const waitFor = async (what: string, ok: () => Promise<boolean>, ms = 30_000) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (await ok()) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.fail(`timed out waiting for ${what}\n${bed.logs()}`);
  };

  before(async () => {
    bed = new EtcdBed('drift');
    await bed.setup(Object.values(IP));
    primary = new Bind({ zone: DOMAIN, zoneText: ZONE, port: 53, keys: [KEY], prefix: ['ip', 'netns', 'exec', bed.ns], dir: join(bed.dir) });
    await primary.start();
    file = join(bed.dir, 'cluster.yaml');
  });
  after(async () => {
    await bed?.stopMembers();
    await lagging?.dispose();
    await primary?.stop();
    await bed?.teardown();
  });

  it('members started from the env and etcd-yaml renders form the cluster; drift finds nothing', async () => {
    writeFileSync(file, manifest(['node1', 'node2', 'node3']));
    const s = await srvctl('sync', file, '--yes', '--format', 'env', '--out', join(bed.dir, 'env'));
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stderr, /a 3-member cluster forms/);
    const y = await srvctl('render', file, '--format', 'etcd-yaml', '--member', 'node3', '--out', join(bed.dir, 'yaml'));
    assert.equal(y.code, 0, y.stderr);
    const conf = readFileSync(join(bed.dir, 'yaml', 'node3.conf.yaml'), 'utf8');
    assert.match(conf, /peer-transport-security:\n  auto-tls: true/);
    bed.startRendered(spec('node1'), { envFile: join(bed.dir, 'env', 'node1.env') });
    bed.startRendered(spec('node2'), { envFile: join(bed.dir, 'env', 'node2.env') });
    bed.startRendered(spec('node3'), { configFile: join(bed.dir, 'yaml', 'node3.conf.yaml') });
    await waitFor('three started members', async () => (await members())?.filter((m) => m.name).length === 3);
    const d = await driftRun();
    assert.equal(d.code, 0, JSON.stringify(d.doc.clusters[0]));
  });

  it('a fourth member joins through sync (member add first) with the rendered existing config', async () => {
    writeFileSync(file, manifest(['node1', 'node2', 'node3', 'node4']));
    const s = await srvctl('sync', file, '--yes', '--etcd-endpoints', `https://${IP.node1}:${CLIENT.node1}`, '--insecure-skip-tls-verify', '--format', 'env', '--member', 'node4', '--out', join(bed.dir, 'env4'));
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stderr, /added node4 \(https:\/\/node4\.example\.test:2380\) to the running cluster as member \w+/);
    assert.ok(s.stderr.indexOf('added node4') < s.stderr.indexOf('sent one signed UPDATE') || !s.stderr.includes('sent one signed UPDATE'), 'member add comes before the records');
    const env = readFileSync(join(bed.dir, 'env4', 'node4.env'), 'utf8');
    assert.match(env, /^ETCD_INITIAL_CLUSTER_STATE=existing$/m);
    bed.startRendered(spec('node4'), { envFile: join(bed.dir, 'env4', 'node4.env') });
    await waitFor('node4 to join', async () => (await members())?.filter((m) => m.name).length === 4);
    const d = await driftRun();
    assert.equal(d.code, 0, JSON.stringify(d.doc.clusters[0].findings));
  });

  it('a record deleted behind srvctl\'s back (nsupdate): exit 2 naming it; after sync, exit 0', async () => {
    const r = await bed.exec(['sh', '-c', `printf 'server 127.0.0.1 53\\nupdate delete _etcd-server-ssl._tcp.${DOMAIN}. SRV 0 0 2380 node2.${DOMAIN}.\\nsend\\n' | nsupdate -y hmac-sha256:srvctl:${KEY.secret}`]);
    assert.equal(r.code, 0, r.stderr);
    const d = await driftRun();
    assert.equal(d.code, 2);
    const f = d.doc.clusters[0].findings as { kind: string; message: string }[];
    assert.ok(f.some((x) => x.kind === 'provider' && /missing at the provider: _etcd-server-ssl\._tcp\.example\.test\. \d+ IN SRV 0 0 2380 node2\.example\.test\./.test(x.message)), JSON.stringify(f));
    assert.ok(f.some((x) => x.kind === 'etcd' && /member node2 .* is in the cluster but not in DNS/.test(x.message)), JSON.stringify(f));
    assert.equal((await srvctl('sync', file, '--yes', '--no-verify')).code, 0);
    assert.equal((await driftRun()).code, 0);
  });

  it('a member removed with etcdctl member remove: exit 2 for the SRV target nobody answers; fixed, exit 0', async () => {
    const node4 = (await members())!.find((m) => m.name === 'node4')!;
    const rm = await bed.exec(['etcdctl', '--endpoints', `https://${IP.node1}:${CLIENT.node1}`, '--insecure-skip-tls-verify', '--insecure-transport=false', 'member', 'remove', BigInt(node4.ID).toString(16)]);
    assert.equal(rm.code, 0, rm.stderr);
    await bed.stopMember('node4');
    const d = await driftRun();
    assert.equal(d.code, 2);
    const f = d.doc.clusters[0].findings as { kind: string; message: string }[];
    assert.ok(f.some((x) => x.kind === 'etcd' && /SRV target node4\.example\.test:2380 is in DNS but no cluster member has that peer URL/.test(x.message)), JSON.stringify(f));
    writeFileSync(file, manifest(['node1', 'node2', 'node3']));
    assert.equal((await srvctl('sync', file, '--yes')).code, 0);
    assert.equal((await driftRun()).code, 0);
  });

  it('a nameserver that lags: exit 2 naming it; once it has the zone, exit 0; Prometheus metrics follow', async () => {
    lagging = new Bind({ zone: DOMAIN, zoneText: ZONE, port: 5300, prefix: ['ip', 'netns', 'exec', bed.ns] });
    await lagging.start();
    writeFileSync(file, manifest(['node1', 'node2', 'node3'], ', nameservers: ["127.0.0.1:53", "127.0.0.1:5300"]'));
    const prom = join(bed.dir, 'srvctl.prom');
    const r = await srvctl('drift', file, '--etcd', '--insecure-skip-tls-verify', '--json', '--prom-file', prom);
    assert.equal(r.code, 2, r.stderr);
    const f = JSON.parse(r.stdout).clusters[0].findings as { kind: string; nameserver?: string; message: string }[];
    assert.ok(f.some((x) => x.kind === 'dns' && x.nameserver === '127.0.0.1:5300' && /missing 0 0 2380 node1\.example\.test\./.test(x.message)), JSON.stringify(f));
    assert.ok(!f.some((x) => x.nameserver === '127.0.0.1:53'));
    assert.match(readFileSync(prom, 'utf8'), /^srvctl_drift\{cluster="live",kind="dns"\} [1-9]\d*$/m);

    const axfr = await bed.exec(['dig', '@127.0.0.1', '-p', '53', DOMAIN, 'AXFR', '-y', `hmac-sha256:srvctl:${KEY.secret}`, '+nocmd', '+nostats', '+nocomments']);
    await lagging.dispose();
    lagging = new Bind({ zone: DOMAIN, zoneText: axfr.stdout.split('\n').filter((l) => l && !l.startsWith(';') && !/\sTSIG\s/.test(l)).filter((l, i, all) => !(l.includes('\tSOA\t') && all.findIndex((x) => x.includes('\tSOA\t')) !== i)).join('\n') + '\n', port: 5300, prefix: ['ip', 'netns', 'exec', bed.ns] });
    await lagging.start();
    const fixed = await srvctl('drift', file, '--etcd', '--insecure-skip-tls-verify', '--prom-file', prom);
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    const metrics = readFileSync(prom, 'utf8');
    assert.match(metrics, /^srvctl_drift\{cluster="live",kind="dns"\} 0$/m);
    assert.match(metrics, /^srvctl_drift_check_success\{cluster="live"\} 1$/m);
    assert.match(metrics, /^srvctl_drift_last_success_timestamp_seconds\{cluster="live"\} \d+$/m);
  });
});
