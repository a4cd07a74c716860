import assert from 'node:assert/strict';
import { orderedSteps } from '../../providers/rfc2136.js';
import { encodeUpdate, splitUpdate, UpdateTooLarge, type UpdateSpec } from '../../src/dns/update.js';
import { diff } from '../../src/plan/diff.js';
import { desiredRecords } from '../../src/records/desired.js';
import { recordKey, rrsetKey, type Rec } from '../../src/records/record.js';
import { isMarker, parseMarker, recordDigest } from '../../src/records/ownership.js';
import { requireManifest } from '../../src/manifest/load.js';

function manifest(members: number[]) {
  const text = `version: 1
cluster: c
domain: coreos.example.com
etcd: { version: "3.5" }
provider: { type: rfc2136, zone: example.com, server: 127.0.0.1, port: 53, tsig: { name: k, secretEnv: S } }
members:
${members.map((i) => `  - { name: node${i}, host: node${i}.coreos.example.com, ipv4: 10.0.${i >> 8}.${i & 255} }`).join('\n')}
`;
  return requireManifest('/tmp/cluster.yaml', text).manifest;
}

/** What the provider holds once a plan for `members` is applied to an empty zone. */
function applied(members: number[]): Rec[] {
  const m = manifest(members);
  const plan = diff(desiredRecords(m), [], m.cluster, m.provider.zone);
  return plan.changes.map((c) => c.after!);
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Applies the messages in order to `state`, checking that each one's prerequisites are what the state then holds. */
function replay(specs: UpdateSpec[], initial: readonly Rec[]): Map<string, Set<string>> {
  const state = new Map<string, Set<string>>();
  for (const r of initial) state.set(rrsetKey(r), new Set([...(state.get(rrsetKey(r)) ?? []), r.rdata]));
  specs.forEach((s, i) => {
    for (const p of s.prerequisites) assert.deepEqual([...p.records.map((r) => r.rdata)].sort(), [...(state.get(`${p.name}\t${p.type}`) ?? [])].sort(), `message ${i + 1}: the prerequisite on ${p.name} ${p.type} is the state it is sent into`);
    const touched = new Set(s.prerequisites.map((p) => `${p.name}\t${p.type}`));
    for (const r of [...s.deletes, ...s.adds]) assert.ok(touched.has(rrsetKey(r)), `message ${i + 1} guards every RRset it changes`);
    for (const r of s.deletes) state.get(rrsetKey(r))?.delete(r.rdata);
    for (const r of s.adds) state.set(rrsetKey(r), new Set([...(state.get(rrsetKey(r)) ?? []), r.rdata]));
  });
  return state;
}

/** The records as a provider's read snapshot holds them: by RRset. */
function rrsetsOf(records: readonly Rec[]): Map<string, Rec[]> {
  const sets = new Map<string, Rec[]>();
  for (const r of records) sets.set(rrsetKey(r), [...(sets.get(rrsetKey(r)) ?? []), r]);
  return sets;
}

describe('rfc2136 UPDATE steps and their split into messages', () => {
  it('orders a member replacement: new address, old SRV removed, new SRV added, old address removed; each record with its marker', () => {
    const m = manifest([1, 2, 4]);
    const plan = diff(desiredRecords(m), applied([1, 2, 3]), m.cluster, m.provider.zone);
    const steps = orderedSteps(plan);
    const what = steps.map((s) => {
      const r = [...s.adds, ...s.deletes].find((x) => !isMarker(x))!;
      return `${s.adds.some((x) => !isMarker(x)) ? '+' : '-'}${r.type} ${r.name.startsWith('_') ? parseSrv(r) : r.name.split('.')[0]}`;
    });
    assert.deepEqual(what, ['+A node4', '-SRV node3', '-SRV node3', '+SRV node4', '+SRV node4', '-A node3']);
    for (const s of steps) {
      const records = [...s.adds, ...s.deletes].filter((x) => !isMarker(x));
      const markers = [...s.adds, ...s.deletes].filter(isMarker);
      assert.equal(records.length, 1);
      assert.deepEqual(markers.map((x) => parseMarker(x)!.digest), [recordDigest(records[0]!)], 'the record and its marker land together');
    }
    assert.equal(steps.reduce((n, s) => n + s.adds.length + s.deletes.length, 0), plan.changes.length, 'every change is in a step');
  });

  it('splits 300 members into messages within the budget, each guarding the RRsets it touches as they will be; steps are never split', () => {
    const m = manifest(range(1, 300));
    const plan = diff(desiredRecords(m), [], m.cluster, m.provider.zone);
    const steps = orderedSteps(plan);
    const specs = splitUpdate('example.com', steps, () => []);
    assert.ok(specs.length >= 3);
    for (const s of specs) assert.ok(encodeUpdate(1, s).length <= 65_535 - 1_024);
    for (const s of specs) assert.equal(encodeUpdate(1, s).length, s.octets, 'the split counts exactly what the encoder writes (owner names compressed)');
    const end = replay(specs, []);
    const want = new Set(plan.changes.map((c) => recordKey(c.after!)));
    const got = new Set([...end].flatMap(([k, v]) => [...v].map((rd) => `${k}\t${rd}`)));
    assert.deepEqual(got, want, 'the messages together make exactly the plan');
    // a step's records all land in one message
    const messageOf = new Map<string, number>();
    specs.forEach((s, i) => s.adds.forEach((r) => messageOf.set(recordKey(r), i)));
    for (const st of steps) assert.equal(new Set(st.adds.map((r) => messageOf.get(recordKey(r)))).size, 1);
  });

  it('a shrink from 300 to 100 members: replaying the messages from the read state ends where the plan does', () => {
    const before = applied(range(1, 300));
    const m = manifest(range(1, 100));
    const plan = diff(desiredRecords(m), before, m.cluster, m.provider.zone);
    const snapshot = rrsetsOf(before);
    const specs = splitUpdate('example.com', orderedSteps(plan), (k) => snapshot.get(k) ?? []);
    assert.ok(specs.length >= 2);
    for (const s of specs) assert.ok(encodeUpdate(1, s).length <= 65_535 - 1_024);
    for (const s of specs) assert.equal(encodeUpdate(1, s).length, s.octets);
    const end = replay(specs, before);
    assert.equal(end.get('_etcd-server._tcp.coreos.example.com\tSRV')!.size, 100);
    assert.equal(end.get('node200.coreos.example.com\tA')!.size, 0);
  });

  it('a step whose RRsets cannot be guarded within one message is refused before anything is sent', () => {
    const before = applied(range(1, 300));
    const m = manifest(range(1, 301));
    const plan = diff(desiredRecords(m), before, m.cluster, m.provider.zone);
    const snapshot = rrsetsOf(before);
    assert.throws(() => splitUpdate('example.com', orderedSteps(plan), (k) => snapshot.get(k) ?? [], undefined, 8_000), (e: unknown) => e instanceof UpdateTooLarge && /over the 8000-octet budget/.test(e.message));
  });
});

function parseSrv(r: Rec): string {
  return r.rdata.split(' ')[3]!.split('.')[0]!;
}
