import assert from 'node:assert/strict';
import { applyToRecords, diff } from '../../src/plan/diff.js';
import { planJson, planText, plainPaint } from '../../src/plan/format.js';
import { counts } from '../../src/plan/plan.js';
import { desiredRecords, withMarkers } from '../../src/records/desired.js';
import { classifyOwnership, isMarker, parseMarker } from '../../src/records/ownership.js';
import { rec, recordKey, recordText, type Rec } from '../../src/records/record.js';
import { fixtureManifest } from '../support/manifests.js';

const m = fixtureManifest();
const desired = desiredRecords(m);
const ZONE = 'example.com';
const OWNER = 'prod-etcd';
const keys = (rs: readonly Rec[]) => rs.map(recordKey).sort();

describe('plan: adopt (sync --adopt, --adopt-from)', () => {
  it('hand-made records exactly as wanted: without --adopt conflicts, with --adopt one adopt each and markers only', () => {
    const handMade = desired.map((r) => ({ ...r }));
    const plain = diff(desired, handMade, OWNER, ZONE);
    assert.equal(plain.conflicts.length, desired.length);
    assert.equal(counts(plain).adopt, 0);

    const plan = diff(desired, handMade, OWNER, ZONE, { adopt: true });
    assert.equal(plan.refusals, undefined);
    assert.deepEqual(plan.conflicts, []);
    const adopts = plan.changes.filter((c) => c.action === 'adopt');
    assert.deepEqual(keys(adopts.map((c) => c.after!)), keys(desired));
    // the record itself is kept exactly (same before and after), only markers are created
    for (const c of adopts) assert.deepEqual(c.before, c.after);
    assert.ok(plan.changes.filter((c) => c.action !== 'adopt').every((c) => c.action === 'create' && c.marker));
    assert.equal(plan.changes.filter((c) => c.marker).length, desired.length);

    // after the apply the provider holds every record once, now owned; a second plan is empty
    const after = applyToRecords(handMade, plan);
    assert.deepEqual(keys(after.filter((r) => !isMarker(r))), keys(desired));
    assert.equal(classifyOwnership(after, OWNER).owned.length, desired.length * 2);
    assert.deepEqual(diff(desired, after, OWNER, ZONE, { adopt: true }).changes, []);
  });

  it('adopts what matches and creates what is missing, in one plan', () => {
    const some = desired.filter((r) => r.type === 'SRV');
    const plan = diff(desired, some, OWNER, ZONE, { adopt: true });
    const c = counts(plan);
    assert.equal(c.adopt, some.length);
    assert.equal(c.create, desired.length - some.length);
  });

  it('TTL is part of "exactly": a record differing only in TTL is refused, not adopted and not updated', () => {
    const handMade = desired.map((r, i) => (i === 0 ? { ...r, ttl: 60 } : { ...r }));
    const plan = diff(desired, handMade, OWNER, ZONE, { adopt: true });
    assert.equal(plan.refusals?.length, 1);
    assert.match(plan.refusals![0]!, new RegExp(`^${recordText(handMade[0]!).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: TTL 60 differs from the manifest's 300`));
    assert.ok(!plan.changes.some((ch) => ch.before && recordKey(ch.before) === recordKey(handMade[0]!) && !ch.marker));
  });

  it('a record that differs in rdata (same SRV target, other port; same host, other address) is refused', () => {
    const srv = desired.find((r) => r.type === 'SRV' && r.name.startsWith('_etcd-server.'))!;
    const a = desired.find((r) => r.type === 'A')!;
    const wrongPort = rec(srv.name, 'SRV', srv.ttl, srv.rdata.replace(' 2380 ', ' 2390 '));
    const wrongAddr = rec(a.name, 'A', a.ttl, '10.9.9.9');
    const actual = [...desired.filter((r) => r !== srv && r !== a), wrongPort, wrongAddr];
    const plan = diff(desired, actual, OWNER, ZONE, { adopt: true });
    assert.equal(plan.refusals?.length, 2, plan.refusals?.join('\n'));
    assert.ok(plan.refusals!.some((x) => x.startsWith(recordText(wrongPort)) && x.includes(`differs from the manifest's ${recordText(srv)}`)));
    assert.ok(plan.refusals!.some((x) => x.startsWith(recordText(wrongAddr)) && x.includes(`differs from the manifest's ${recordText(a)}`)));
    // without --adopt the same records are conflicts, as before
    assert.equal(diff(desired, actual, OWNER, ZONE).refusals, undefined);
  });

  it('never adopts a record another owner marked; --adopt-from OWNER takes over exactly that owner’s records and drops its markers', () => {
    const other = withMarkers(desired, 'old-name');
    const adopt = diff(desired, other, OWNER, ZONE, { adopt: true });
    // Address records are shareable: a host both clusters list is co-owned (a marker beside
    // the other's), never taken; the SRV records are another cluster's and are refused.
    const unshared = desired.filter((r) => r.type === 'SRV');
    assert.equal(adopt.refusals?.length, unshared.length);
    assert.ok(adopt.refusals!.every((x) => x.includes('marked by cluster old-name') && x.includes('--adopt-from old-name')));
    assert.equal(counts(adopt).adopt, 0);

    const wrongOwner = diff(desired, other, OWNER, ZONE, { adoptFrom: 'someone-else' });
    assert.equal(wrongOwner.refusals?.length, unshared.length);

    const from = diff(desired, other, OWNER, ZONE, { adoptFrom: 'old-name' });
    assert.equal(from.refusals, undefined);
    assert.equal(counts(from).adopt, desired.length);
    const deletedMarkers = from.changes.filter((c) => c.action === 'delete' && c.marker).map((c) => parseMarker(c.before!)?.owner);
    assert.deepEqual(deletedMarkers, desired.map(() => 'old-name'));
    const after = applyToRecords(other, from);
    assert.equal(classifyOwnership(after, 'old-name').owned.length, 0);
    assert.equal(classifyOwnership(after, OWNER).owned.length, desired.length * 2);
    assert.deepEqual(diff(desired, after, OWNER, ZONE).changes, []);
  });

  it('--adopt-from refuses a record of that owner the manifest does not want (or wants differently)', () => {
    const stale = rec(desired[0]!.name, 'SRV', 300, '0 0 2380 node9.coreos.example.com.');
    const other = withMarkers([...desired, stale], 'old-name');
    const plan = diff(desired, other, OWNER, ZONE, { adoptFrom: 'old-name' });
    assert.equal(plan.refusals?.length, 1);
    assert.match(plan.refusals![0]!, /node9\.coreos\.example\.com\. \(marked by cluster old-name\) is not in the manifest/);
  });

  it('--adopt leaves unrelated foreign records as conflicts (no refusal): only exact matches are taken', () => {
    const extra = rec(desired[0]!.name, 'SRV', 300, '0 0 2380 node9.coreos.example.com.');
    const plan = diff(desired, [...desired, extra], OWNER, ZONE, { adopt: true });
    assert.equal(plan.refusals, undefined);
    assert.deepEqual(plan.conflicts.map((k) => recordKey(k.record)), [recordKey(extra)]);
  });

  it('text shows "=" with the record; JSON has action adopt, summary.adopt and refusals', () => {
    const plan = diff(desired, desired.slice(0, 1), OWNER, ZONE, { adopt: true });
    const text = planText(plan, plainPaint, { showMarkers: false });
    assert.ok(text.includes(`  = ${recordText(desired[0]!)}   (adopt: kept as it is, now owned by ${OWNER})`), text);
    assert.match(text, /Plan: 8 to create, 0 to update, 0 to delete, 1 to adopt, plus 9 ownership marker change\(s\)\./);
    const json = planJson(plan);
    assert.equal(json.summary.adopt, 1);
    assert.deepEqual(json.refusals, []);
    const adopt = json.changes.find((c) => c.action === 'adopt')!;
    assert.deepEqual(adopt.before, adopt.after);
    assert.equal(adopt.after!.rdata, desired[0]!.rdata);

    const refused = diff(desired, [{ ...desired[0]!, ttl: 5 }], OWNER, ZONE, { adopt: true });
    assert.equal(planJson(refused).refusals.length, 1);
    assert.match(planText(refused, plainPaint, { showMarkers: false }), /Refused \(nothing will be written\):\n  ✗ .*TTL 5 differs/);
  });
});
