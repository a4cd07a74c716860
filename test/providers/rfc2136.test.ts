import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openProvider } from '../../providers/index.js';
import { requireManifest } from '../../src/manifest/load.js';
import { diff } from '../../src/plan/diff.js';
import { readManaged } from '../../src/plan/gather.js';
import { desiredRecords } from '../../src/records/desired.js';
import { Bind, newKey, nsupdate, type BindKey } from '../support/bind.js';
import { dig } from '../support/dig.js';
import { freePort } from '../support/ports.js';
import { cliInProcess } from '../commands/inprocess.js';
import { scratch } from '../support/run.js';

const ZONE = `$ORIGIN example.com.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 604800 300
@ IN NS ns1
ns1 IN A 127.0.0.1
www IN A 192.0.2.80
`;

function manifestText(port: number, tsig: string): string {
  return `version: 1
cluster: prod-etcd
domain: coreos.example.com
etcd: { version: "3.5" }
provider:
  type: rfc2136
  zone: example.com
  server: 127.0.0.1
  port: ${port}
  tsig: ${tsig}
members:
  - { name: node1, host: node1.coreos.example.com, ipv4: 10.0.0.1 }
  - { name: node2, host: node2.coreos.example.com, ipv4: 10.0.0.2 }
  - { name: node3, host: node3.coreos.example.com, ipv4: 10.0.0.3 }
verify: { wait: 10s, timeout: 500ms }
`;
}

describe('rfc2136 provider against a real BIND (TSIG, update-policy)', function () {
  this.timeout(60_000);
  let bind: Bind;
  let key: BindKey;
  let readonly: BindKey;
  let dir: string;
  let cleanup: () => Promise<void>;
  let manifest: string;
  const env = () => ({ SRVCTL_TSIG: key.secret });
  const secrets = () => [key.secret, readonly.secret, Buffer.from(key.secret, 'base64').toString('hex')];
  const noSecret = (...outputs: string[]) => {
    for (const o of outputs) for (const s of secrets()) assert.ok(!o.includes(s), 'a TSIG secret appeared in the output');
  };

  beforeEach(async () => {
    key = newKey('srvctl');
    readonly = newKey('readonly', false, true);
    bind = new Bind({ zone: 'example.com', zoneText: ZONE, port: await freePort(), keys: [key, readonly] });
    await bind.start();
    ({ dir, cleanup } = await scratch());
    manifest = join(dir, 'cluster.yaml');
    writeFileSync(manifest, manifestText(bind.port, '{ name: srvctl, secretEnv: SRVCTL_TSIG }'));
  });
  afterEach(async () => {
    await bind.dispose();
    await cleanup();
  });

  it('sync creates the records, dig sees them with aa, a second sync changes nothing', async () => {
    const r = await cliInProcess(['sync', manifest, '--yes', '--verbose'], { env: env() });
    assert.equal(r.code, 0, r.stderr + bind.log());
    assert.match(r.stderr, /by AXFR \(TSIG verified\)/);
    assert.match(r.stderr, /sent one signed UPDATE \(0 deletions, 18 additions/);
    assert.match(r.stderr, /_etcd-server\._tcp\.coreos\.example\.com SRV\s+✓/);
    const d = await dig('127.0.0.1', bind.port, '_etcd-server._tcp.coreos.example.com', 'SRV');
    assert.ok(d.flags.includes('aa'));
    assert.equal(d.answers.length, 3);
    const again = await cliInProcess(['sync', manifest, '--yes', '--verbose'], { env: env() });
    assert.equal(again.code, 0);
    assert.match(again.stderr, /No changes\./);
    assert.doesNotMatch(again.stderr, /UPDATE/);
    noSecret(r.stdout, r.stderr, again.stdout, again.stderr);
  });

  it('foreign TXT and SRV records at managed names survive every sync', async () => {
    await nsupdate(bind.port, key, [
      'update add _etcd-server._tcp.coreos.example.com. 300 IN TXT "hand-written note"',
      'update add _etcd-client._tcp.coreos.example.com. 300 IN SRV 0 0 2379 extra.coreos.example.com.',
    ]);
    for (let i = 0; i < 2; i++) assert.equal((await cliInProcess(['sync', manifest, '--yes'], { env: env() })).code, 0);
    writeFileSync(manifest, manifestText(bind.port, '{ name: srvctl, secretEnv: SRVCTL_TSIG }').replace(/  - \{ name: node3.*\n/, ''));
    const shrink = await cliInProcess(['sync', manifest, '--yes'], { env: env() });
    assert.equal(shrink.code, 0, shrink.stderr);
    assert.match(shrink.stderr, /! _etcd-client\._tcp\.coreos\.example\.com\. 300 IN SRV 0 0 2379 extra\.coreos\.example\.com\./);
    const txt = await dig('127.0.0.1', bind.port, '_etcd-server._tcp.coreos.example.com', 'TXT');
    assert.ok(txt.answers.some((a) => a.rdata === '"hand-written note"'));
    const client = await dig('127.0.0.1', bind.port, '_etcd-client._tcp.coreos.example.com', 'SRV');
    assert.deepEqual(client.answers.map((a) => a.rdata).sort(), ['0 0 2379 extra.coreos.example.com.', '0 0 2379 node1.coreos.example.com.', '0 0 2379 node2.coreos.example.com.']);
    const gone = await dig('127.0.0.1', bind.port, 'node3.coreos.example.com', 'A');
    assert.equal(gone.answers.length, 0, 'the removed member\'s A record is deleted');
  });

  it('a change behind srvctl\'s back between plan and apply fails cleanly; the next sync converges', async () => {
    const m = requireManifest(manifest, manifestText(bind.port, '{ name: srvctl, secretEnv: SRVCTL_TSIG }')).manifest;
    const ctx = { env: env(), debug: () => undefined, now: () => new Date() };
    const provider = await openProvider(m, ctx);
    const { actual } = await readManaged(m, (n) => provider.read(n));
    const plan = diff(desiredRecords(m), actual, m.cluster, m.provider.zone);
    await nsupdate(bind.port, key, ['update add _etcd-server._tcp.coreos.example.com. 300 IN SRV 0 0 2380 sneaky.coreos.example.com.']);
    await assert.rejects(provider.apply(plan), /changed since the plan \(prerequisite failed: (YXRRSET|NXRRSET)\); nothing was changed/);
    const d = await dig('127.0.0.1', bind.port, '_etcd-server._tcp.coreos.example.com', 'SRV');
    assert.deepEqual(d.answers.map((a) => a.rdata), ['0 0 2380 sneaky.coreos.example.com.'], 'nothing of the plan was applied');
    const r = await cliInProcess(['sync', manifest, '--yes', '--force'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await dig('127.0.0.1', bind.port, '_etcd-server._tcp.coreos.example.com', 'SRV')).answers.length, 4);
  });

  it('a wrong key, a key without update rights and a stopped server: clear messages, exit 1, no secret shown', async () => {
    const wrong = await cliInProcess(['sync', manifest, '--yes', '--verbose', '--json'], { env: { SRVCTL_TSIG: newKey('x').secret } });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /rejected the signature of key srvctl \(BADSIG\)|BADSIG/);
    const doc = JSON.parse(wrong.stdout);
    assert.equal(doc.error.code, 'provider');

    writeFileSync(manifest, manifestText(bind.port, '{ name: readonly, secretEnv: SRVCTL_TSIG }'));
    const norights = await cliInProcess(['sync', manifest, '--yes', '--verbose'], { env: { SRVCTL_TSIG: readonly.secret } });
    assert.equal(norights.code, 1);
    assert.match(norights.stderr, /refused the update \(REFUSED\): key readonly has no update rights/);

    await bind.stop();
    const down = await cliInProcess(['sync', manifest, '--yes'], { env: { SRVCTL_TSIG: readonly.secret } });
    assert.equal(down.code, 1);
    assert.match(down.stderr, new RegExp(`127\\.0\\.0\\.1:${bind.port}: connection refused`));
    noSecret(wrong.stdout, wrong.stderr, norights.stdout, norights.stderr, down.stdout, down.stderr);
    for (const o of [wrong.stderr, norights.stderr, down.stderr]) assert.doesNotMatch(o, /\n\s+at .+:\d+:\d+/);
  });

  it('falls back to direct queries when the key may not transfer the zone', async () => {
    const noxfr = newKey('noxfr', true, false);
    await bind.dispose();
    bind = new Bind({ zone: 'example.com', zoneText: ZONE, port: await freePort(), keys: [noxfr] });
    await bind.start();
    writeFileSync(manifest, manifestText(bind.port, '{ name: noxfr, secretEnv: SRVCTL_TSIG }'));
    const r = await cliInProcess(['sync', manifest, '--yes', '--verbose'], { env: { SRVCTL_TSIG: noxfr.secret } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /AXFR of example\.com .* answered (REFUSED|NOTAUTH); reading the managed names with queries instead/);
    const again = await cliInProcess(['plan', manifest], { env: { SRVCTL_TSIG: noxfr.secret } });
    assert.equal(again.code, 0, again.stdout + again.stderr);
  });

  it('a secretFile readable by others is refused; mode 0600 works; a missing variable is named', async () => {
    const file = join(dir, 'tsig.key');
    writeFileSync(file, `key "srvctl" {\n\talgorithm hmac-sha256;\n\tsecret "${key.secret}";\n};\n`);
    chmodSync(file, 0o644);
    writeFileSync(manifest, manifestText(bind.port, `{ name: srvctl, secretFile: ${file} }`));
    const open = await cliInProcess(['plan', manifest]);
    assert.equal(open.code, 1);
    assert.match(open.stderr, /secretFile .*tsig\.key is readable by others \(mode 644\): run chmod 600/);
    chmodSync(file, 0o600);
    const ok = await cliInProcess(['plan', manifest]);
    assert.equal(ok.code, 2, ok.stderr);
    writeFileSync(manifest, manifestText(bind.port, '{ name: srvctl, secretEnv: SRVCTL_TSIG }'));
    const unset = await cliInProcess(['plan', manifest], { env: { SRVCTL_TSIG: '' } });
    assert.equal(unset.code, 1);
    assert.match(unset.stderr, /environment variable SRVCTL_TSIG \(provider\.tsig\.secretEnv\) is not set/);
    noSecret(open.stderr, ok.stdout, ok.stderr);
  });
});
