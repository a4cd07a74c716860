import assert from 'node:assert/strict';
import type { EtcdVersion } from '../../src/manifest/types.js';
import { clusterVerdict, type IntendedMember } from '../../src/predict/cluster.js';
import { predictMember, type MemberPrediction } from '../../src/predict/discovery.js';
import type { AddressLookup, DnsView, SrvLookup } from '../../src/predict/dnsview.js';
import { clusterId, hexId, memberId } from '../../src/predict/ids.js';

const D = 'example.test';
const SSL = `_etcd-server-ssl._tcp.${D}`;
const PLAIN = `_etcd-server._tcp.${D}`;

function srv(...targets: (string | [string, number])[]): SrvLookup {
  return { ok: true, records: targets.map((t) => ({ priority: 0, weight: 0, port: Array.isArray(t) ? t[1] : 2380, target: `${Array.isArray(t) ? t[0] : t}.${D}` })) };
}

function view(srvs: Record<string, SrvLookup>, hosts: Record<string, string[] | null> = { node1: ['127.0.0.11'], node2: ['127.0.0.12'], node3: ['127.0.0.13'] }): DnsView {
  const h = new Map<string, AddressLookup>();
  for (const [k, v] of Object.entries(hosts)) {
    if (v) h.set(`${k}.${D}`, { ok: true, v4: v.filter((x) => !x.includes(':')), v6: v.filter((x) => x.includes(':')) });
  }
  return { srv: new Map(Object.entries(srvs)), hosts: h };
}

function predictAll(version: EtcdVersion, v: DnsView, scheme = 'https', names = ['node1', 'node2', 'node3'], serviceName = ''): MemberPrediction[] {
  return names.map((name) => predictMember({ version, domain: D, serviceName, token: 'tok', view: v, member: { name, advertisePeerUrls: [`${scheme}://${name}.${D}:2380`], state: 'new' } }));
}

const intended = (scheme = 'https'): IntendedMember[] => ['node1', 'node2', 'node3'].map((n) => ({ name: n, discoveryUrl: `${scheme}://${n}.${D}:2380` }));

describe('etcd discovery prediction', () => {
  it('good: every member starts with the same initial cluster and cluster ID (3.4, ssl)', () => {
    const p = predictAll('3.4', view({ [SSL]: srv('node1', 'node2', 'node3') }));
    assert.deepEqual(p.map((x) => x.outcome), ['starts', 'starts', 'starts']);
    assert.equal(p[0]!.initialCluster, `node1=https://node1.${D}:2380,0=https://node2.${D}:2380,1=https://node3.${D}:2380`);
    assert.equal(p[2]!.initialCluster, `0=https://node1.${D}:2380,1=https://node2.${D}:2380,node3=https://node3.${D}:2380`);
    assert.equal(new Set(p.map((x) => x.clusterId)).size, 1);
    const v = clusterVerdict(intended(), p);
    assert.equal(v.formed?.size, 3);
    assert.deepEqual(v.problems, []);
  });

  it('member IDs are etcd\'s: sha1 of the sorted peer URLs and the token', () => {
    const id = memberId(['https://node1.example.test:2380'], 'tok');
    assert.equal(typeof id, 'bigint');
    assert.equal(hexId(id), hexId(memberId(['https://node1.example.test:2380'], 'tok')));
    assert.notEqual(hexId(id), hexId(memberId(['https://node1.example.test:2380'], 'other')));
    assert.equal(hexId(clusterId([2n, 1n])), hexId(clusterId([1n, 2n])));
  });

  it('http-only on 3.4: every member exits, plain records are never read', () => {
    const p = predictAll('3.4', view({ [PLAIN]: srv('node1', 'node2', 'node3') }), 'http');
    for (const x of p) {
      assert.equal(x.outcome, 'exits');
      assert.equal(x.error, `error querying DNS SRV records for _etcd-server-ssl lookup _etcd-server-ssl._tcp.${D} on <resolver>: no such host`);
    }
    assert.deepEqual(clusterVerdict(intended('http'), p).problems, ['no member starts: every member exits']);
  });

  it('http-only on 3.5 and 3.6: the plain records work, the ssl lookup error is only logged', () => {
    for (const version of ['3.5', '3.6'] as const) {
      const p = predictAll(version, view({ [PLAIN]: srv('node1', 'node2', 'node3') }), 'http');
      assert.deepEqual(p.map((x) => x.outcome), ['starts', 'starts', 'starts'], version);
      assert.match(p[0]!.swallowed[0]!, /error querying DNS SRV records for _etcd-server-ssl/);
    }
  });

  it('a member missing from SRV exits; the others form a smaller, healthy-looking cluster', () => {
    const p = predictAll('3.4', view({ [SSL]: srv('node1', 'node2') }));
    assert.equal(p[2]!.error, 'cannot find local etcd member "node3" in SRV records');
    const v = clusterVerdict(intended(), p);
    assert.equal(v.formed?.size, 2);
    assert.deepEqual(v.formed?.running, ['node1', 'node2']);
    assert.match(v.problems.join('\n'), /a 2-member cluster forms where 3 were intended \(missing: node3\); it will look healthy/);
  });

  it('a target without an address: that member exits on its own advertise URL, the others skip it silently', () => {
    const p = predictAll('3.4', view({ [SSL]: srv('node1', 'node2', 'node3') }, { node1: ['127.0.0.11'], node2: ['127.0.0.12'], node3: null }));
    assert.equal(p[2]!.error, `lookup node3.${D} on <resolver>: no such host`);
    assert.equal(p[0]!.outcome, 'starts');
    assert.equal(p[0]!.initialCluster, `node1=https://node1.${D}:2380,0=https://node2.${D}:2380`);
    assert.match(p[0]!.swallowed[0]!, /lookup node3\.example\.test\. on <resolver>: no such host/);
    assert.equal(clusterVerdict(intended(), p).formed?.size, 2);
  });

  it('ssl records with http peers: the scheme mismatch is swallowed and no member finds itself', () => {
    const p = predictAll('3.4', view({ [SSL]: srv('node1', 'node2', 'node3') }), 'http');
    for (const x of p) assert.equal(x.error, `cannot find local etcd member "${x.member}" in SRV records`);
    assert.match(p[0]!.swallowed.join('\n'), /bootstrap at https:\/\/node1\.example\.test:2380 from DNS for etcd-server-ssl has scheme mismatch with expected peer http:\/\/node1\.example\.test:2380/);
  });

  it('a wrong port: that member exits, the others form a cluster with a phantom member', () => {
    const p = predictAll('3.4', view({ [SSL]: srv('node1', ['node2', 2390], 'node3') }));
    assert.equal(p[1]!.error, 'cannot find local etcd member "node2" in SRV records');
    const v = clusterVerdict(intended(), p);
    assert.equal(v.formed?.size, 3);
    assert.deepEqual(v.formed?.running, ['node1', 'node3']);
    assert.deepEqual(v.formed?.phantoms, [`https://node2.${D}:2390`]);
    assert.match(v.problems.join('\n'), /phantom member/);
  });

  it('both record sets on 3.4: the plain set is ignored, the cluster is the ssl one', () => {
    const p = predictAll('3.4', view({ [SSL]: srv('node1', 'node2', 'node3'), [PLAIN]: srv('node1', 'node2', 'node3') }));
    assert.deepEqual(p.map((x) => x.outcome), ['starts', 'starts', 'starts']);
    assert.equal(clusterVerdict(intended(), p).formed?.size, 3);
  });

  it('both record sets on 3.5: temp names merge across services and the members disagree on the cluster ID', () => {
    const p = predictAll('3.5', view({ [SSL]: srv('node1', 'node2', 'node3'), [PLAIN]: srv('node1', 'node2', 'node3') }));
    assert.deepEqual(p.map((x) => x.outcome), ['starts', 'starts', 'starts']);
    assert.deepEqual(p[0]!.cluster!.find((c) => c.name === '0')!.urls, [`http://node2.${D}:2380`, `https://node2.${D}:2380`]);
    const v = clusterVerdict(intended(), p);
    assert.equal(v.groups.length, 3);
    assert.equal(v.formed, null);
    assert.match(v.problems.join('\n'), /different cluster IDs/);
  });

  it('2.3 reads both services with one counter and one list', () => {
    const p = predictAll('2.3', view({ [SSL]: srv('node1'), [PLAIN]: srv('node2', 'node3') }), 'https', ['node1']);
    assert.equal(p[0]!.initialCluster, `node1=https://node1.${D}:2380,0=http://node2.${D}:2380,1=http://node3.${D}:2380`);
    const none = predictAll('2.3', view({}), 'http', ['node1']);
    assert.equal(none[0]!.error, `error querying DNS SRV records for _etcd-server-ssl lookup _etcd-server-ssl._tcp.${D} on <resolver>: no such host\nerror querying DNS SRV records for _etcd-server lookup _etcd-server._tcp.${D} on <resolver>: no such host`);
  });

  it('3.5 with neither record set joins both lookup errors', () => {
    const p = predictAll('3.5', view({}), 'https', ['node1']);
    assert.equal(
      p[0]!.error,
      `error querying DNS SRV records for _etcd-server-ssl lookup _etcd-server-ssl._tcp.${D} on <resolver>: no such host; error querying DNS SRV records for _etcd-server lookup _etcd-server._tcp.${D} on <resolver>: no such host`,
    );
  });

  it('a target listed twice: every member stops on the duplicate URL', () => {
    const p = predictAll('3.4', view({ [SSL]: srv('node1', 'node2', 'node3', 'node3') }));
    assert.equal(p[0]!.error, `initial cluster 0=https://node2.${D}:2380,1=https://node3.${D}:2380,2=https://node3.${D}:2380,node1=https://node1.${D}:2380 has duplicate url`);
    assert.match(p[2]!.error!, /^--initial-cluster has|^failed to resolve/);
  });

  it('a target with several addresses makes the outcome depend on answer order', () => {
    const p = predictAll('3.4', view({ [SSL]: srv('node1', 'node2', 'node3') }, { node1: ['127.0.0.11', '127.0.0.99'], node2: ['127.0.0.12'], node3: ['127.0.0.13'] }));
    assert.match(p[0]!.orderDependent!, /node1\.example\.test has 127\.0\.0\.11, 127\.0\.0\.99/);
    assert.equal(p[1]!.orderDependent, undefined);
  });

  it('serviceName selects _etcd-server-ssl-<name>', () => {
    const p = predictAll('3.5', view({ [`_etcd-server-ssl-blue._tcp.${D}`]: srv('node1', 'node2', 'node3') }), 'https', ['node1'], 'blue');
    assert.equal(p[0]!.outcome, 'starts');
  });

  it('an advertise URL given as the IP address the target resolves to still matches', () => {
    const p = predictMember({ version: '3.4', domain: D, serviceName: '', token: 't', view: view({ [SSL]: srv('node1', 'node2', 'node3') }), member: { name: 'node1', advertisePeerUrls: ['https://127.0.0.11:2380'], state: 'new' } });
    assert.equal(p.outcome, 'starts');
    assert.equal(p.initialCluster, `node1=https://node1.${D}:2380,0=https://node2.${D}:2380,1=https://node3.${D}:2380`);
  });

  it('a target with A and a global AAAA: the bootstrap check compares the IPv6 address, so an IPv4 advertise URL exits (3.4 and 3.5, measured)', () => {
    for (const version of ['3.4', '3.5'] as const) {
      const v = view({ [SSL]: srv('node1', 'node2', 'node3') }, { node1: ['127.0.0.11', '2001:db8::11'], node2: ['127.0.0.12'], node3: ['127.0.0.13'] });
      const p = predictMember({ version, domain: D, serviceName: '', token: 't', view: v, member: { name: 'node1', advertisePeerUrls: ['https://127.0.0.11:2380'], state: 'new' } });
      assert.equal(p.outcome, 'exits');
      assert.equal(
        p.error,
        `--initial-cluster has node1=https://node1.${D}:2380 but missing from --initial-advertise-peer-urls=https://127.0.0.11:2380 (resolved urls: "https://127.0.0.11:2380" != "https://[2001:db8::11]:2380")`,
      );
    }
  });

  it('IPv6 below IPv4 in Go\'s RFC 6724 order (ULA, 6to4, Teredo, site-local, link-local) leaves the IPv4 address first', () => {
    for (const v6 of ['fd00::11', '2002:7f00:b::1', '2001:0:1::1', 'fec0::11', 'fe80::11']) {
      const v = view({ [SSL]: srv('node1', 'node2', 'node3') }, { node1: ['127.0.0.11', v6], node2: ['127.0.0.12'], node3: ['127.0.0.13'] });
      const p = predictMember({ version: '3.5', domain: D, serviceName: '', token: 't', view: v, member: { name: 'node1', advertisePeerUrls: ['https://127.0.0.11:2380'], state: 'new' } });
      assert.equal(p.outcome, 'starts', `${v6}: ${p.error}`);
    }
  });

  it('a member advertising its name with A and global AAAA finds itself: both sides resolve to the same IPv6 address', () => {
    const v = view({ [SSL]: srv('node1', 'node2', 'node3') }, { node1: ['127.0.0.11', '2001:db8::11'], node2: ['127.0.0.12', '2001:db8::12'], node3: ['127.0.0.13', '2001:db8::13'] });
    assert.deepEqual(predictAll('3.5', v).map((x) => x.outcome), ['starts', 'starts', 'starts']);
  });

  it('both record sets on 3.5 with equal priorities: the merged temp names depend on answer order, and the prediction says so; distinct priorities fix the order', () => {
    const equal = predictAll('3.5', view({ [SSL]: srv('node1', 'node2', 'node3'), [PLAIN]: srv('node1', 'node2', 'node3') }));
    for (const p of equal) assert.match(p.orderDependent ?? '', /merges the temporary names of the _etcd-server-ssl and _etcd-server entries/);
    const ordered = (list: SrvLookup): SrvLookup => (list.ok ? { ok: true, records: list.records.map((r, i) => ({ ...r, priority: (i + 1) * 10 })) } : list);
    const distinct = predictAll('3.5', view({ [SSL]: ordered(srv('node1', 'node2', 'node3')), [PLAIN]: ordered(srv('node1', 'node2', 'node3')) }));
    for (const p of distinct) assert.equal(p.orderDependent, undefined);
    // one list only: temp names never merge, whatever the order
    for (const p of predictAll('3.5', view({ [SSL]: srv('node1', 'node2', 'node3') }))) assert.equal(p.orderDependent, undefined);
  });
});
