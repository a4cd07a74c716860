import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openProvider } from '../../providers/index.js';
import type { Provider } from '../../providers/provider.js';
import type { LiveMember } from '../../src/drift/membership.js';
import type { EtcdClient } from '../../src/etcd/client.js';
import { PartialApplyError, SrvctlError } from '../../src/errors.js';
import { requireManifest } from '../../src/manifest/load.js';
import { judgeMembership, membersToProbe, replaceCandidates } from '../../src/reconcile/guards.js';
import { reconcile } from '../../src/reconcile/pipeline.js';
import type { ReconcileDeps, ReconcileRequest } from '../../src/reconcile/types.js';
import { fixtureText } from '../support/manifests.js';

/**
 * Move, remove and replace through the core, in-process on the zone-file provider with an
 * etcd client that records every call: the order of the writes, the quorum rule, the undo
 * of each step, and that every refusal writes nothing. Real etcd walks the same steps in
 * etcd-walk.test.ts.
 */
const SOA = '$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n';
const peer = (n: string) => `http://${n}.coreos.example.com:2380`;
const member = (id: string, name: string, host = name, extra: Partial<LiveMember> = {}): LiveMember => ({ id, name, peerURLs: [peer(host)], clientURLs: name ? [`http://${host}:2379`] : [], ...extra });

/** An etcd cluster in memory that records calls; `failOn` makes one call fail. */
class RecordingEtcd implements EtcdClient {
  readonly endpoints = ['http://127.0.0.1:1'];
  readonly clusterId = 'c0ffee';
  calls: string[] = [];
  failOn?: RegExp;
  /** client URLs that answer a probe (a member that still runs): node1 and node2 run, node3 is down */
  answering = new Set<string>(['http://node1:2379', 'http://node2:2379']);
  /** how a member that does not answer fails */
  probeError = 'http://node3:2379: connection refused';
  constructor(public members: LiveMember[]) {}
  private check(call: string) {
    this.calls.push(call);
    if (this.failOn?.test(call)) throw new SrvctlError('provider', `injected: ${call} failed`);
  }
  async memberList() {
    return this.members.map((m) => ({ ...m }));
  }
  async memberAdd(peerURLs: string[]) {
    this.check(`add ${peerURLs.join(',')}`);
    const m = { id: `a${this.members.length}`, name: '', peerURLs, clientURLs: [] };
    this.members.push(m);
    return m;
  }
  async memberRemove(id: string) {
    this.check(`remove ${id}`);
    this.members = this.members.filter((m) => m.id !== id);
  }
  async memberUpdate(id: string, peerURLs: string[]) {
    this.check(`update ${id} ${peerURLs.join(',')}`);
    this.members = this.members.map((m) => (m.id === id ? { ...m, peerURLs } : m));
  }
  /** a client for other endpoints: a probe of one member's client URLs */
  probe(endpoints: string[]): EtcdClient {
    const up = endpoints.some((e) => this.answering.has(e));
    const err = new SrvctlError('provider', 'etcd member list: no etcd endpoint answered', [this.probeError]);
    return { endpoints, memberList: async () => (up ? this.memberList() : Promise.reject(err)), memberAdd: this.memberAdd, memberRemove: this.memberRemove, memberUpdate: this.memberUpdate };
  }
}

describe('move, remove and replace through the core (zone file, recording etcd, in-process)', () => {
  let dir: string;
  let file: string;
  let zone: string;
  let etcd: RecordingEtcd;
  let failApply: false | true | 'partly' = false;
  const three = () => [member('11', 'node1'), member('22', 'node2'), member('33', 'node3')];
  const deps = (): ReconcileDeps => ({
    readText: (f) => readFile(f, 'utf8'),
    openProvider: async (m): Promise<Provider> => {
      const p = await openProvider(m, { env: {}, debug: () => {}, now: () => new Date() });
      if (failApply === 'partly') {
        p.apply = async () => {
          throw new PartialApplyError('injected: UPDATE 2 of 3 was refused; UPDATE 1 of 3 was applied and stays', ['applied: UPDATE 1 of 3', 'failed: UPDATE 2 of 3', 'not sent: UPDATE 3 of 3'], 1, 3);
        };
      } else if (failApply) {
        p.apply = async () => {
          throw new SrvctlError('provider', 'injected: the zone file is not writable');
        };
      }
      return p;
    },
    query: async () => {
      throw new Error('no DNS in these tests');
    },
    lookupHost: async () => [],
    etcdClient: (endpoints) => (endpoints[0] === 'http://10.0.0.1:2379' ? etcd : etcd.probe(endpoints)),
    now: () => new Date(),
    sleep: async () => {},
    confirm: async () => false,
  });
  const run = (req: Omit<ReconcileRequest, 'file' | 'mode'>) => reconcile({ mode: 'sync', file, verify: false, yes: true, etcdEndpoints: ['http://10.0.0.1:2379'], ...req }, deps());
  const manifestWith = (edit: (t: string) => string) => writeFile(file, edit(fixtureText()));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'srvctl-membership-'));
    file = join(dir, 'cluster.yaml');
    zone = join(dir, 'example.com.zone');
    await writeFile(file, fixtureText());
    await writeFile(zone, SOA);
    failApply = false;
    etcd = new RecordingEtcd(three());
    const first = await run({});
    assert.equal(first.outcome, 'applied', JSON.stringify(first.error));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('move (--move-members)', () => {
    const moveNode3 = () => manifestWith((t) => t.replace('host: node3.coreos.example.com', 'host: node3b.coreos.example.com'));

    it('without the flag: refused with the exact member update, nothing written', async () => {
      await moveNode3();
      const before = await readFile(zone, 'utf8');
      const r = await run({});
      assert.equal(r.outcome, 'refused');
      assert.equal(r.guards.find((g) => g.code === 'peer-url-change')?.command, `etcdctl member update 33 --peer-urls=${peer('node3b')}`);
      assert.deepEqual(etcd.calls, []);
      assert.equal(await readFile(zone, 'utf8'), before);
    });

    it('with the flag: member update first, then the records (the old A record goes only after etcd dials the new one)', async () => {
      await moveNode3();
      const r = await run({ moveMembers: true });
      assert.equal(r.outcome, 'applied', JSON.stringify(r.error));
      assert.deepEqual(etcd.calls, [`update 33 ${peer('node3b')}`]);
      assert.deepEqual(r.writes.map((w) => [w.action, w.ok, w.memberId]), [['member update', true, '33'], ['dns apply', true, undefined]]);
      const text = await readFile(zone, 'utf8');
      assert.match(text, /node3b\.coreos\.example\.com\./);
      assert.doesNotMatch(text, /^node3\.coreos /m);
    });

    it('moving two of three at once warns that the cluster has no quorum until they restart', async () => {
      await manifestWith((t) => t.replace('host: node3.coreos.example.com', 'host: node3b.coreos.example.com').replace('host: node2.coreos.example.com', 'host: node2b.coreos.example.com'));
      const r = await run({ moveMembers: true });
      assert.equal(r.outcome, 'applied', JSON.stringify(r.error));
      assert.match(r.guards.find((g) => g.code === 'move-quorum' && g.effect === 'warn')!.message, /leaves 1 of 3 voting member\(s\) reachable/);
      assert.deepEqual(etcd.calls, [`update 22 ${peer('node2b')}`, `update 33 ${peer('node3b')}`]);
    });

    it('a failed publish updates the member back and says so; the zone file is as it was', async () => {
      await moveNode3();
      const before = await readFile(zone, 'utf8');
      failApply = true;
      const r = await run({ moveMembers: true });
      assert.equal(r.outcome, 'failed');
      assert.match(r.error!.message, /member update was undone, DNS and etcd are as they were/);
      assert.deepEqual(etcd.calls, [`update 33 ${peer('node3b')}`, `update 33 ${peer('node3')}`]);
      assert.deepEqual(etcd.members, three());
      assert.equal(await readFile(zone, 'utf8'), before);
    });

    it('a publish that fails part-way (some of the provider\'s updates applied) keeps the member update and says so', async () => {
      await moveNode3();
      failApply = 'partly';
      const r = await run({ moveMembers: true });
      assert.equal(r.outcome, 'failed');
      assert.match(r.error!.message, /failed part-way; the etcd changes of this run are kept, not undone/);
      assert.ok(r.error!.details.includes(`kept: member update of node3 (33): 1 of 3 of the provider's updates already took effect; sync again to finish`), r.error!.details.join('\n'));
      assert.deepEqual(etcd.calls, [`update 33 ${peer('node3b')}`], 'no undo: DNS already moves toward the new address');
    });
  });

  describe('remove (--remove-members)', () => {
    const dropNode3 = () => manifestWith((t) => t.replace(/  - name: node3\n.*\n.*\n/, ''));

    it('without the flag: refused with the exact member remove', async () => {
      await dropNode3();
      const r = await run({});
      assert.equal(r.outcome, 'refused');
      assert.equal(r.guards.find((g) => g.code === 'running-member-missing')?.command, 'etcdctl member remove 33');
      assert.deepEqual(etcd.calls, []);
    });

    it('with the flag: member remove, then its records are deleted', async () => {
      await dropNode3();
      const r = await run({ removeMembers: true });
      assert.equal(r.outcome, 'applied', JSON.stringify(r.error));
      assert.deepEqual(etcd.calls, ['remove 33']);
      assert.deepEqual(r.writes.map((w) => w.action), ['member remove', 'dns apply']);
      assert.doesNotMatch(await readFile(zone, 'utf8'), /node3/);
    });

    it('never below quorum, counting unstarted members: refused with the reason, nothing written', async () => {
      await dropNode3();
      const before = await readFile(zone, 'utf8');
      // node2 was added but never started: removing node3 leaves node1 as the only voter of two
      etcd.members = [member('11', 'node1'), { id: '22', name: '', peerURLs: [peer('node2')], clientURLs: [] }, member('33', 'node3')];
      const refused = await run({ removeMembers: true });
      assert.equal(refused.outcome, 'refused');
      assert.equal(refused.error?.code, 'guard');
      const q = refused.guards.find((g) => g.code === 'quorum')!;
      assert.match(q.message, /would leave 1 started of 2 voting member\(s\) \(never started: 22\): quorum is 2/);
      assert.deepEqual(etcd.calls, []);
      assert.equal(await readFile(zone, 'utf8'), before);
    });

    it('a crashed member does not count toward quorum: its probe is refused, so the remove is refused before any write', async () => {
      await dropNode3();
      const before = await readFile(zone, 'utf8');
      etcd.answering.delete('http://node2:2379');
      const refused = await run({ removeMembers: true });
      assert.equal(refused.outcome, 'refused');
      const q = refused.guards.find((g) => g.code === 'quorum')!;
      assert.match(q.message, /would leave 1 started of 2 voting member\(s\) \(not answering on their client URLs: node2 \(22\)\): quorum is 2/);
      assert.deepEqual(etcd.calls, []);
      assert.equal(await readFile(zone, 'utf8'), before);
      etcd.answering.add('http://node2:2379');
      assert.equal((await run({ removeMembers: true })).outcome, 'applied', 'with node2 back the same remove runs');
      assert.deepEqual(etcd.calls, ['remove 33']);
    });

    it('a failed publish after the remove is reported as not undoable, with what to run', async () => {
      await dropNode3();
      failApply = true;
      const r = await run({ removeMembers: true });
      assert.equal(r.outcome, 'failed');
      assert.match(r.error!.message, /1 member remove\(s\) stay done/);
      assert.ok(r.error!.details.some((d) => /member 33 \(node3\) was removed from the cluster; its records are still published: sync again/.test(d)));
    });
  });

  describe('replace (same name, another host, state: existing)', () => {
    const replaceNode3 = () => manifestWith((t) => t.replace(/host: node3\.coreos\.example\.com\n    ipv4: 10\.0\.0\.3/, 'host: node3r.coreos.example.com\n    ipv4: 10.0.0.33\n    state: existing'));

    it('without --replace-members: refused (a member stopped to move its data dir does not answer either), nothing written', async () => {
      await replaceNode3();
      const before = await readFile(zone, 'utf8');
      const r = await run({});
      assert.equal(r.outcome, 'refused');
      const g = r.guards.find((x) => x.code === 'replace-unasked')!;
      assert.equal(g.command, `etcdctl member remove 33 && etcdctl member add node3 --peer-urls=${peer('node3r')}`);
      assert.match(g.message, /pass --replace-members .* or --move-members to move it with its data dir/);
      assert.deepEqual(etcd.calls, []);
      assert.equal(await readFile(zone, 'utf8'), before);
    });

    it('with --move-members instead: the member is moved (member update keeps its data), never removed', async () => {
      await replaceNode3();
      const r = await run({ moveMembers: true });
      assert.equal(r.outcome, 'applied', JSON.stringify(r.error));
      assert.deepEqual(etcd.calls, [`update 33 ${peer('node3r')}`]);
    });

    it('the old member does not answer: member remove, member add, then the records', async () => {
      await replaceNode3();
      assert.deepEqual(replaceCandidates(requireManifest(file, await readFile(file, 'utf8')).manifest, etcd.members).map((m) => m.id), ['33']);
      const r = await run({ replaceMembers: true });
      assert.equal(r.outcome, 'applied', JSON.stringify(r.error));
      assert.deepEqual(etcd.calls, ['remove 33', `add ${peer('node3r')}`]);
      assert.deepEqual(r.writes.map((w) => w.action), ['member remove', 'member add', 'dns apply']);
      assert.deepEqual(r.joining, [{ member: 'node3', clusterId: 'c0ffee' }]);
      assert.equal(r.planned!.members.find((m) => m.member === 'node3')?.clusterId, 'c0ffee', "the joining member's prediction names the running cluster");
    });

    it('the old member still answers: refused (stop it, or move it), nothing written', async () => {
      await replaceNode3();
      etcd.answering.add('http://node3:2379');
      const r = await run({ replaceMembers: true });
      assert.equal(r.outcome, 'refused');
      assert.match(r.guards.find((g) => g.code === 'replace-running')!.message, /still answers on http:\/\/node3:2379/);
      assert.deepEqual(etcd.calls, []);
    });

    it('the old member fails with a TLS error rather than a refused connection: something runs there, refused', async () => {
      await replaceNode3();
      etcd.probeError = 'https://node3:2379: certificate has expired';
      const r = await run({ replaceMembers: true });
      assert.equal(r.outcome, 'refused');
      assert.deepEqual(r.guards.filter((g) => g.effect === 'refuse').map((g) => [g.code, g.memberId]), [['replace-running', '33']]);
      assert.deepEqual(etcd.calls, []);
    });

    it('a failed member add after the remove: reported, the remove stays done, no records written', async () => {
      await replaceNode3();
      const before = await readFile(zone, 'utf8');
      etcd.failOn = /^add/;
      const r = await run({ replaceMembers: true });
      assert.equal(r.outcome, 'failed');
      assert.deepEqual(etcd.calls, ['remove 33', `add ${peer('node3r')}`]);
      assert.match(r.error!.message, /member add of node3 failed; 1 member remove\(s\) stay done/);
      assert.equal(await readFile(zone, 'utf8'), before);
    });
  });

  it('--move-members or --remove-members without endpoints: a usage error, nothing written', async () => {
    const before = await readFile(zone, 'utf8');
    await manifestWith((t) => t.replace(/  - name: node3\n.*\n.*\n/, ''));
    for (const flags of [{ moveMembers: true }, { removeMembers: true }]) {
      const r = await run({ ...flags, etcdEndpoints: [] });
      assert.equal(r.error?.code, 'usage');
      assert.match(r.error!.message, /needs the running cluster's client URLs/);
      assert.deepEqual(r.writes, []);
    }
    assert.equal(await readFile(zone, 'utf8'), before);
  });

  it('judgeMembership: unstarted members leave before started ones, so no state on the way lacks quorum', () => {
    const m = requireManifest(file, fixtureText().replace(/  - name: node3\n.*\n.*\n/, '')).manifest;
    const live = [member('11', 'node1'), member('22', 'node2'), member('33', 'node3'), member('44', '', 'node4'), member('55', '', 'node5')];
    const j = judgeMembership(m, live, { removeMembers: true });
    assert.equal(j.guards.find((g) => g.code === 'quorum'), undefined, 'the end state (node1, node2) has quorum');
    assert.deepEqual(j.removes.map((r) => r.id), ['44', '55', '33'], 'node3 (started) goes last: removed first, node1, node2 and two unstarted would be 2 of 4');
  });

  it('judgeMembership: a member that was asked and did not answer leaves before the started ones and does not vote', () => {
    const m = requireManifest(file, fixtureText().replace(/  - name: node3\n.*\n.*\n/, '')).manifest;
    const live = [member('11', 'node1'), member('22', 'node2'), member('33', 'node3'), member('44', 'node4')];
    const asked = membersToProbe(m, live, { removeMembers: true });
    assert.deepEqual(asked.map((l) => l.id).sort(), ['11', '22', '33', '44'], 'with --remove-members every started voter is asked');
    assert.deepEqual(membersToProbe(m, live, {}).map((l) => l.id), [], 'without a removal nobody is asked');
    const probed = new Set(asked.map((l) => l.id));
    const j = judgeMembership(m, live, { removeMembers: true, probed, answering: new Set(['11', '22', '33']) });
    assert.deepEqual(j.removes.map((r) => r.id), ['44', '33'], 'node4 (down) goes first');
    assert.equal(j.guards.find((g) => g.code === 'quorum'), undefined, 'node1 and node2 are 2 of 2');
    const k = judgeMembership(m, live, { removeMembers: true, probed, answering: new Set(['11', '33', '44']) });
    assert.match(k.guards.find((g) => g.code === 'quorum')?.message ?? '', /leave 1 started of 2 voting member\(s\) \(not answering on their client URLs: node2 \(22\)\)/);
  });

  it('judgeMembership: a move and a join in one run warn that 2 of 4 are reachable until both start', () => {
    const m = requireManifest(file, fixtureText().replace('host: node3.coreos.example.com', 'host: node3b.coreos.example.com') + '  - { name: node4, host: node4.coreos.example.com, ipv4: 10.0.0.4, state: existing }\n').manifest;
    const j = judgeMembership(m, three(), { moveMembers: true });
    assert.deepEqual(j.moves.map((x) => x.id), ['33']);
    assert.deepEqual(j.joins.map((x) => x.name), ['node4']);
    assert.match(j.guards.find((g) => g.code === 'move-quorum')?.message ?? '', /while 1 member\(s\) join leaves 2 of 4 voting member\(s\) reachable .*quorum 3/);
  });

  it('judgeMembership: learners do not vote; removing the last voting member is refused', () => {
    const m = requireManifest(file, fixtureText().replace(/  - name: node2\n.*\n.*\n  - name: node3\n.*\n.*\n/, '')).manifest;
    const j = judgeMembership(m, [member('11', 'node1', 'nodeX'), member('22', 'node2', 'node2', { isLearner: true })], { removeMembers: true });
    assert.equal(j.guards.find((g) => g.code === 'quorum'), undefined, 'node1 moves (refused without --move-members); the learner leaves');
    const last = judgeMembership(requireManifest(file, fixtureText().replace(/  - name: node1\n.*\n.*\n  - name: node2\n.*\n.*\n  - name: node3\n.*\n.*\n/, '  - { name: node9, host: node9.coreos.example.com, ipv4: 10.0.0.9, state: existing }\n')).manifest, [member('11', 'node1')], { removeMembers: true });
    assert.match(last.guards.find((g) => g.code === 'quorum')?.message ?? '', /leave 0 started of 1 voting member|would leave no voting member/);
  });
});
