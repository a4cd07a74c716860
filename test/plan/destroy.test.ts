import assert from 'node:assert/strict';
import { applyToRecords } from '../../src/plan/diff.js';
import { destroyPlan } from '../../src/plan/destroy.js';
import { planJson } from '../../src/plan/format.js';
import { desiredRecords, withMarkers } from '../../src/records/desired.js';
import { isMarker, markerFor } from '../../src/records/ownership.js';
import { rec, recordKey, type Rec } from '../../src/records/record.js';
import { fixtureManifest } from '../support/manifests.js';

const m = fixtureManifest();
const desired = desiredRecords(m);
const keys = (rs: readonly Rec[]) => rs.map(recordKey).sort();

describe('plan: destroy', () => {
  it('deletes every owned record and marker (records first), and nothing else', () => {
    const foreign = rec(desired[0]!.name, 'SRV', 300, '0 0 2380 handmade.coreos.example.com.');
    const otherCluster = withMarkers([rec('blue.coreos.example.com', 'A', 300, '10.1.1.1')], 'blue');
    const orphanMarker = markerFor(rec('gone.coreos.example.com', 'A', 300, '10.2.2.2'), 'prod-etcd');
    const actual = [...withMarkers(desired, 'prod-etcd'), foreign, ...otherCluster, orphanMarker];
    const plan = destroyPlan(actual, 'prod-etcd', 'example.com', m.domain);
    assert.equal(plan.refusals, undefined);
    assert.ok(plan.changes.every((c) => c.action === 'delete'));
    const firstMarker = plan.changes.findIndex((c) => c.marker);
    assert.ok(plan.changes.slice(firstMarker).every((c) => c.marker), 'markers come after every record');
    assert.deepEqual(keys(plan.changes.filter((c) => !c.marker).map((c) => c.before!)), keys(desired));
    assert.equal(plan.changes.filter((c) => c.marker).length, desired.length + 1);
    const after = applyToRecords(actual, plan);
    assert.deepEqual(keys(after), keys([foreign, ...otherCluster]));
    assert.deepEqual(plan.conflicts.map((k) => [recordKey(k.record), k.owner ?? null]).sort(), [
      [recordKey(foreign), null],
      [recordKey(otherCluster.find((r) => !isMarker(r))!), 'blue'],
    ].sort());
    assert.equal(planJson(plan).summary.delete, desired.length);
  });

  it('nothing owned: a refusal naming the domain, zone and owner, and no change', () => {
    const plan = destroyPlan([...desired, ...withMarkers(desired, 'blue')], 'prod-etcd', 'example.com', m.domain);
    assert.deepEqual(plan.changes, []);
    assert.equal(plan.refusals?.length, 1);
    assert.match(plan.refusals![0]!, /^nothing to destroy: no record at the names srvctl manages for coreos\.example\.com in zone example\.com carries cluster prod-etcd's ownership marker/);
  });
});
