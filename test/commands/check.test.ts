import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessage, encodeResponse } from '../../src/dns/codec.js';
import type { RunningServer } from '../../src/dns/server.js';
import { rec } from '../../src/records/record.js';
import { cliInProcess } from './inprocess.js';
import { FIXTURES, scratch } from '../support/run.js';
import { serveText } from '../support/zone.js';

const ZONE = (extra = '', srv = ['node1', 'node2', 'node3']) => `$ORIGIN example.com.
$TTL 300
@ 3600 IN SOA ns1.example.com. hostmaster.example.com. 7 3600 600 604800 120
@ 3600 IN NS ns1
ns1 IN A 127.0.0.1
${srv.map((n) => `_etcd-server._tcp.coreos IN SRV 0 0 2380 ${n}.coreos`).join('\n')}
${srv.map((n) => `_etcd-client._tcp.coreos IN SRV 0 0 2379 ${n}.coreos`).join('\n')}
node1.coreos IN A 10.0.0.1
node2.coreos IN A 10.0.0.2
node3.coreos IN A 10.0.0.3
${extra}
`;

async function udpFake(reply: (buf: Buffer) => Buffer[]): Promise<Socket & { port: number }> {
  const s = createSocket('udp4') as Socket & { port: number };
  s.on('message', (buf, rinfo) => {
    for (const out of reply(buf)) s.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  s.port = s.address().port;
  return s;
}

describe('srvctl check', function () {
  this.timeout(30_000);
  const servers: RunningServer[] = [];
  const fakes: Socket[] = [];
  let manifest: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    const s = await scratch('cluster.yaml');
    manifest = join(s.dir, 'cluster.yaml');
    cleanup = s.cleanup;
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    fakes.splice(0).forEach((f) => f.close());
    await cleanup();
  });
  const serve = async (text: string) => {
    const s = await serveText(text);
    servers.push(s);
    return `127.0.0.1:${s.port}`;
  };

  it('sound records: exit 0, one block per member with the initial cluster etcd computes', async () => {
    const ns = await serve(ZONE());
    const r = await cliInProcess(['check', 'coreos.example.com', '--ns', ns, '--manifest', manifest]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /node2: starts/);
    assert.match(r.stdout, /initial-cluster: 0=http:\/\/node1\.coreos\.example\.com:2380,node2=http:\/\/node2\.coreos\.example\.com:2380,1=http:\/\/node3\.coreos\.example\.com:2380/);
    assert.match(r.stdout, /a 3-member cluster forms \(quorum 2\)/);
    assert.match(r.stdout, /Sound: etcd 3\.5 will bootstrap the intended cluster/);
  });

  it('a missing member: exit 1, etcd\'s own error quoted, and the smaller cluster said loudly (--json)', async () => {
    const ns = await serve(ZONE('', ['node1', 'node2']));
    const r = await cliInProcess(['check', 'coreos.example.com', '--ns', ns, '--manifest', manifest, '--json']);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout);
    const node3 = doc.members.find((m: { name: string }) => m.name === 'node3');
    assert.equal(node3.outcome, 'exits');
    assert.equal(node3.error, 'cannot find local etcd member "node3" in SRV records');
    assert.equal(doc.cluster.formed.size, 2);
    assert.ok(doc.findings.some((f: { message: string }) => /a 2-member cluster forms where 3 were intended \(missing: node3\); it will look healthy/.test(f.message)));
    assert.equal(doc.sound, false);
    assert.match(r.stderr, /cannot find local etcd member "node3" in SRV records/, 'human text goes to stderr under --json');
  });

  it('warnings only (a target with two addresses): exit 2', async () => {
    const ns = await serve(ZONE('node1.coreos IN A 10.0.0.100'));
    const r = await cliInProcess(['check', 'coreos.example.com', '--ns', ns, '--manifest', manifest, '--json']);
    assert.equal(r.code, 2, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.findings.map((f: { code: string }) => f.code).sort(), ['multi-address', 'multi-address', 'order-dependent']);
  });

  it('etcd 3.4 with plain records only: every member exits with etcd\'s error, members read off DNS', async () => {
    const ns = await serve(ZONE());
    const r = await cliInProcess(['check', 'coreos.example.com', '--ns', ns, '--etcd-version', '3.4', '--json']);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.membersFrom, 'dns');
    assert.equal(doc.members.length, 3);
    for (const m of doc.members) assert.equal(m.error, 'error querying DNS SRV records for _etcd-server-ssl lookup _etcd-server-ssl._tcp.coreos.example.com on <resolver>: no such host');
    assert.ok(doc.findings.some((f: { code: string }) => f.code === 'etcd34-plain'));
  });

  it('two nameservers that disagree: the difference and the serials, each nameserver named', async () => {
    const a = await serve(ZONE());
    const b = await serve(ZONE('', ['node1', 'node2']).replace(' 7 3600', ' 8 3600'));
    const r = await cliInProcess(['check', 'coreos.example.com', '--ns', a, '--ns', b, '--json']);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout);
    const msgs = doc.findings.map((f: { message: string }) => f.message).join('\n');
    assert.match(msgs, new RegExp(`nameservers disagree on _etcd-server\\._tcp\\.coreos\\.example\\.com SRV: 127\\.0\\.0\\.1:${a.split(':')[1]}: 3 record\\(s\\); 127\\.0\\.0\\.1:${b.split(':')[1]}: 2 record\\(s\\)`));
    assert.match(msgs, /different SOA serials/);
  });

  it('a nameserver that times out, one that lies about the question, one that sends garbage: findings naming each, in bounded time', async () => {
    const good = await serve(ZONE());
    const silent = await udpFake(() => []);
    const liar = await udpFake((buf) => {
      const q = decodeMessage(buf);
      const lie = { ...q.questions[0]!, name: 'evil.example.net' };
      return [encodeResponse({ id: q.id, opcode: 0, rd: false, aa: true, tc: false, rcode: 0, questions: [lie], answers: [rec('evil.example.net', 'A', 60, '6.6.6.6')], authority: [], additional: [] })];
    });
    const junk = await udpFake(() => [Buffer.from('not dns at all'), Buffer.alloc(3)]);
    fakes.push(silent, liar, junk);
    const started = Date.now();
    const r = await cliInProcess(['check', 'coreos.example.com', '--ns', good, '--ns', `127.0.0.1:${silent.port}`, '--ns', `127.0.0.1:${liar.port}`, '--ns', `127.0.0.1:${junk.port}`, '--timeout', '200ms', '--retries', '1', '--json']);
    const elapsed = Date.now() - started;
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    for (const port of [silent.port, liar.port, junk.port]) {
      const ns = doc.nameservers.find((n: { name: string }) => n.name === `127.0.0.1:${port}`);
      assert.match(ns.status, /no answer from 127\.0\.0\.1:\d+ for example\.com SOA after 2 tries of 200 ms/);
    }
    assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
    assert.equal(doc.members.filter((m: { outcome: string }) => m.outcome === 'starts').length, 3, 'the answering nameserver still gives the prediction');
  });

  it('a domain that does not exist is a finding, not a crash', async () => {
    const ns = await serve(ZONE());
    const r = await cliInProcess(['check', 'nope.example.com', '--ns', ns, '--json']);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout);
    assert.ok(doc.findings.some((f: { code: string }) => f.code === 'no-srv'));
  });

  it('a nameserver that does not serve the domain: exit 1 naming it', async () => {
    const ns = await serve(ZONE());
    const r = await cliInProcess(['check', 'coreos.example.org', '--ns', ns]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot find the zone of coreos\.example\.org: no nameserver answered/);
    assert.match(r.stderr, /REFUSED for coreos\.example\.org/);
  });

  it('usage errors exit 64', async () => {
    assert.equal((await cliInProcess(['check', 'coreos.example.com', '--etcd-version', '4.0'])).code, 64);
    assert.equal((await cliInProcess(['check', '10.0.0.1'])).code, 64);
    assert.equal((await cliInProcess(['check', 'coreos.example.com', '--ns', 'ns1.example.com'])).code, 64);
    assert.equal((await cliInProcess(['check', 'coreos.example.com', '--timeout', 'soon', '--ns', '127.0.0.1'])).code, 64);
  });
});

describe('srvctl sync predicts what etcd does with the records it would write', function () {
  this.timeout(30_000);
  it('refuses before writing when a foreign SRV record would make a phantom member; --force writes and emits', async () => {
    const { dir, cleanup } = await scratch('cluster.yaml');
    try {
      const zone = join(dir, 'example.com.zone');
      writeFileSync(zone, `${readFileSync(join(FIXTURES, 'example.com.hand.zone'), 'utf8')}_etcd-server._tcp.coreos 300 IN SRV 0 0 2380 ns1\n`);
      const before = readFileSync(zone, 'utf8');
      const r = await cliInProcess(['sync', join(dir, 'cluster.yaml'), '--yes', '--json']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /etcd 3\.5 would not bootstrap the intended cluster from the records this plan would write; nothing was written/);
      assert.match(r.stderr, /phantom member/);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.error.code, 'prediction');
      assert.equal(doc.stage, 'predict-planned', 'stopped by stage 3');
      assert.equal(doc.verdict.ok, false);
      assert.deepEqual(doc.writes, []);
      assert.equal(doc.configs, undefined);
      assert.equal(doc.verify, undefined, 'nothing was verified: nothing was written');
      assert.equal(readFileSync(zone, 'utf8'), before, 'the zone file is untouched');
      const plan = await cliInProcess(['plan', join(dir, 'cluster.yaml'), '--json']);
      assert.equal(plan.code, 1, 'plan exits 1 when etcd would reject the planned records');
      const planned = JSON.parse(plan.stdout);
      assert.equal(planned.verdict.ok, false);
      assert.equal(planned.error.code, 'prediction');
      assert.equal(planned.summary.create, 9, 'the plan itself is kept in the JSON');
      assert.match(plan.stderr, /Prediction on the planned records: etcd 3\.5 would not bootstrap the intended cluster/);
      const forced = await cliInProcess(['sync', join(dir, 'cluster.yaml'), '--yes', '--force']);
      assert.equal(forced.code, 0);
      assert.match(forced.stderr, /warning: --force/);
      assert.match(forced.stdout, /discovery-srv: coreos\.example\.com/);
    } finally {
      await cleanup();
    }
  });
});
