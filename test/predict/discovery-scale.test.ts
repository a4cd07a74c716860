import assert from 'node:assert/strict';
import type { EtcdVersion } from '../../src/manifest/types.js';
import { predictMember, type MemberPrediction } from '../../src/predict/discovery.js';
import type { AddressLookup, DnsView } from '../../src/predict/dnsview.js';
import { clusterId, hexId, memberId } from '../../src/predict/ids.js';

/**
 * The prediction shares work across the members of one view (a rope for each initial
 * cluster, a grouping without a map when it is plain, memoised entries and IDs). These
 * check what it returns against etcd's rules computed here directly, for many members and
 * for member names that force the general grouping.
 */
const D = 'big.test';
const N = 60;

function bigView(names: string[], services: string[]): DnsView {
  const hosts = new Map<string, AddressLookup>();
  names.forEach((_, i) => hosts.set(`h${i}.${D}`, { ok: true, v4: [`10.0.${i >> 8}.${i & 255}`], v6: [] }));
  const records = names.map((_, i) => ({ priority: 0, weight: 0, port: 2380, target: `h${i}.${D}` }));
  return { srv: new Map(services.map((s) => [`_${s}._tcp.${D}`, { ok: true as const, records }])), hosts };
}

function predictAll(version: EtcdVersion, names: string[], scheme: string, services: string[]): MemberPrediction[] {
  const view = bigView(names, services);
  return names.map((name, i) => predictMember({ version, domain: D, serviceName: '', token: 'tok', view, member: { name, advertisePeerUrls: [`${scheme}://h${i}.${D}:2380`], state: 'new' } }));
}

/** types.NewURLsMap over an --initial-cluster string: names in first-seen order (split at the first "="), URLs sorted. */
function grouped(initialCluster: string): { name: string; urls: string[] }[] {
  const m = new Map<string, string[]>();
  for (const p of initialCluster.split(',')) {
    const i = p.indexOf('=');
    m.set(p.slice(0, i), [...(m.get(p.slice(0, i)) ?? []), p.slice(i + 1)]);
  }
  return [...m].map(([name, urls]) => ({ name, urls: urls.sort() }));
}

function expectedParts(names: string[], k: number, scheme: string, lists: number): string {
  const parts: string[] = [];
  for (let l = 0; l < lists; l++) {
    let counter = 0;
    names.forEach((_, i) => parts.push(`${i === k ? names[k] : String(counter++)}=${scheme}://h${i}.${D}:2380`));
  }
  return parts.join(',');
}

describe('etcd discovery prediction, many members in one view', () => {
  for (const [label, names] of [
    ['plain names', Array.from({ length: N }, (_, i) => `m${i}`)],
    ['names that are numbers or hold "="', Array.from({ length: N }, (_, i) => (i % 3 === 0 ? String(i) : i % 3 === 1 ? `a=${i}` : `m${i}`))],
  ] as const) {
    it(`${label}: each member's initial cluster, its entries and its cluster ID, as etcd computes them`, () => {
      const preds = predictAll('3.4', [...names], 'https', ['etcd-server-ssl']);
      // A member named "3" groups with the temporary name "3": etcd computes another cluster for it.
      if (label === 'plain names') {
        assert.equal(new Set(preds.map((p) => p.clusterId)).size, 1);
        for (const p of preds) assert.equal(p.outcome, 'starts', `${p.member}: ${p.error}`);
      } else assert.ok(preds.some((p) => p.outcome === 'exits'));
      preds.forEach((p, k) => {
        assert.equal(p.initialCluster, expectedParts([...names], k, 'https', 1));
        const want = grouped(p.initialCluster!).map((g) => ({ ...g, id: hexId(memberId(g.urls, 'tok')) }));
        assert.deepEqual(p.cluster, want);
        assert.equal(p.clusterId, hexId(clusterId(want.map((g) => memberId(g.urls, 'tok')))));
      });
    });
  }

  it('3.5 reading both lists: the temporary names of the two lists merge, as etcd merges them', () => {
    const names = Array.from({ length: 20 }, (_, i) => `m${i}`);
    const preds = predictAll('3.5', names, 'http', ['etcd-server-ssl', 'etcd-server']);
    preds.forEach((p, k) => {
      // the ssl list (https) fails the scheme check for the member's own entry, so its own
      // entry comes from the plain list only; what the parts say, etcd groups
      if (p.outcome !== 'starts') return;
      const want = grouped(p.initialCluster!).map((g) => ({ ...g, id: hexId(memberId(g.urls, 'tok')) }));
      assert.deepEqual(p.cluster, want, `member ${k}`);
    });
    assert.ok(preds.some((p) => p.cluster && p.cluster.some((e) => e.urls.length === 2)), 'some temporary names hold one URL from each list');
  });
});
