import assert from 'node:assert/strict';
import { applyToRecords, diff } from '../../src/plan/diff.js';
import { readManaged } from '../../src/plan/gather.js';
import { counts } from '../../src/plan/plan.js';
import { planJson, planText, plainPaint } from '../../src/plan/format.js';
import { desiredRecords, withMarkers } from '../../src/records/desired.js';
import { classifyOwnership, markerFor, parseMarker } from '../../src/records/ownership.js';
import { rec, recordKey, recordText, type Rec } from '../../src/records/record.js';
import { fixtureManifest } from '../support/manifests.js';

const m = fixtureManifest();
const desired = desiredRecords(m);
const inSync = withMarkers(desired, 'prod-etcd');
const key = (r: Rec) => recordKey(r);

describe('desired records', () => {
  it('one server and one client SRV per member, and the A records given', () => {
    assert.deepEqual(desired.map(recordText).sort(), [
      '_etcd-client._tcp.coreos.example.com. 300 IN SRV 0 0 2379 node1.coreos.example.com.',
      '_etcd-client._tcp.coreos.example.com. 300 IN SRV 0 0 2379 node2.coreos.example.com.',
      '_etcd-client._tcp.coreos.example.com. 300 IN SRV 0 0 2379 node3.coreos.example.com.',
      '_etcd-server._tcp.coreos.example.com. 300 IN SRV 0 0 2380 node1.coreos.example.com.',
      '_etcd-server._tcp.coreos.example.com. 300 IN SRV 0 0 2380 node2.coreos.example.com.',
      '_etcd-server._tcp.coreos.example.com. 300 IN SRV 0 0 2380 node3.coreos.example.com.',
      'node1.coreos.example.com. 300 IN A 10.0.0.1',
      'node2.coreos.example.com. 300 IN A 10.0.0.2',
      'node3.coreos.example.com. 300 IN A 10.0.0.3',
    ]);
  });

  it('TLS and serviceName pick the -ssl and -<name> SRV names; clientSrv false drops the client records', () => {
    const t = fixtureManifest((s) => s.replace('tls: false', 'tls: true\n  serviceName: blue\n  clientSrv: false').replace(/\n  - name: node3[\s\S]*$/, '\n'));
    const names = [...new Set(desiredRecords(t).filter((r) => r.type === 'SRV').map((r) => r.name))];
    assert.deepEqual(names, ['_etcd-server-ssl-blue._tcp.coreos.example.com']);
  });

  it('AAAA records in RFC 5952 form', () => {
    const t = fixtureManifest((s) => s.replace('ipv4: 10.0.0.1', 'ipv4: 10.0.0.1\n    ipv6: 2001:DB8:0:0::1'));
    assert.ok(desiredRecords(t).some((r) => r.type === 'AAAA' && r.rdata === '2001:db8::1'));
  });
});

describe('ownership markers', () => {
  it('round-trip, and survive re-quoting and splitting of TXT strings', () => {
    const r = desired[0]!;
    const marker = markerFor(r, 'prod-etcd');
    assert.deepEqual(parseMarker(marker)?.owner, 'prod-etcd');
    const text = marker.rdata.slice(1, -1);
    const split = rec(marker.name, 'TXT', 60, `"${text.slice(0, 30)}" "${text.slice(30)}"`);
    assert.equal(parseMarker(split)?.owner, 'prod-etcd');
    assert.ok(text.length < 255);
  });

  it('a record is owned only when a marker of that owner names its exact data', () => {
    const r = desired[3]!;
    const forged = rec(r.name, r.type, r.ttl, r.rdata.replace('2380', '2390'));
    const { owned, otherOwners } = classifyOwnership([r, forged, markerFor(r, 'prod-etcd'), markerFor(forged, 'blue')], 'prod-etcd');
    assert.deepEqual(owned.filter((x) => x.type !== 'TXT'), [r]);
    assert.equal(otherOwners.get(forged), 'blue');
  });
});

describe('plan', () => {
  it('creates every record and its marker in an empty zone', () => {
    const plan = diff(desired, [], 'prod-etcd', 'example.com');
    assert.deepEqual(counts(plan), { create: 9, update: 0, delete: 0, adopt: 0, markers: 9, conflicts: 0 });
  });

  it('has no changes when the provider holds what the manifest wants', () => {
    const plan = diff(desired, inSync, 'prod-etcd', 'example.com');
    assert.equal(plan.changes.length, 0);
    assert.equal(plan.unchanged.length, 9);
    assert.match(planText(plan, plainPaint, { showMarkers: false }), /^No changes\./);
  });

  it('a changed port is an update of that SRV record and a new marker', () => {
    const edited = fixtureManifest((s) => s.replace('host: node2.coreos.example.com', 'host: node2.coreos.example.com\n    peerPort: 2390'));
    const plan = diff(desiredRecords(edited), inSync, 'prod-etcd', 'example.com');
    const records = plan.changes.filter((c) => !c.marker);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.action, 'update');
    assert.equal(records[0]!.before!.rdata, '0 0 2380 node2.coreos.example.com.');
    assert.equal(records[0]!.after!.rdata, '0 0 2390 node2.coreos.example.com.');
    assert.deepEqual(plan.changes.filter((c) => c.marker).map((c) => c.action).sort(), ['create', 'delete']);
    assert.match(planText(plan, plainPaint, { showMarkers: false }), /~ _etcd-server\._tcp\.coreos\.example\.com\. 300 IN SRV 0 0 2390 node2\.coreos\.example\.com\.\s+\(was: 0 0 2380 node2/);
  });

  it('a TTL change updates records and markers in place', () => {
    const edited = fixtureManifest((s) => s.replace('ttl: 300', 'ttl: 60'));
    const plan = diff(desiredRecords(edited), inSync, 'prod-etcd', 'example.com');
    assert.deepEqual(counts(plan), { create: 0, update: 9, delete: 0, adopt: 0, markers: 9, conflicts: 0 });
  });

  it('a removed member loses its SRV records, its A record and their markers', async () => {
    const smaller = fixtureManifest((s) => s.replace(/\n  - name: node3[\s\S]*$/, '\n'));
    const store = inSync;
    const { actual, names } = await readManaged(smaller, async (ns) => store.filter((r) => ns.includes(r.name)));
    assert.ok(names.includes('node3.coreos.example.com'), 'the old target is read in a second round');
    const plan = diff(desiredRecords(smaller), actual, 'prod-etcd', 'example.com');
    assert.deepEqual(
      plan.changes.filter((c) => !c.marker).map((c) => `${c.action} ${c.before!.name} ${c.before!.type} ${c.before!.rdata}`),
      [
        'delete _etcd-client._tcp.coreos.example.com SRV 0 0 2379 node3.coreos.example.com.',
        'delete _etcd-server._tcp.coreos.example.com SRV 0 0 2380 node3.coreos.example.com.',
        'delete node3.coreos.example.com A 10.0.0.3',
      ],
    );
    assert.equal(plan.changes.filter((c) => c.marker && c.action === 'delete').length, 3);
  });

  it('never touches a foreign record at a managed name, and reports it as a conflict', () => {
    const rogue = rec('_etcd-server._tcp.coreos.example.com', 'SRV', 300, '0 0 2380 rogue.coreos.example.com.');
    const note = rec('_etcd-server._tcp.coreos.example.com', 'TXT', 300, '"hand-written note"');
    const plan = diff(desired, [...inSync, rogue, note], 'prod-etcd', 'example.com');
    assert.equal(plan.changes.length, 0);
    assert.equal(plan.conflicts.length, 1);
    assert.equal(plan.conflicts[0]!.record, rogue);
    assert.match(plan.conflicts[0]!.reason, /etcd will read this record too/);
    assert.deepEqual(planJson(plan).conflicts[0]!.record, { name: rogue.name, type: 'SRV', ttl: 300, rdata: rogue.rdata });
  });

  it('does not delete a record it does not own even when the manifest no longer wants it', () => {
    const handMade = rec('node3.coreos.example.com', 'A', 300, '10.0.0.3');
    const smaller = fixtureManifest((s) => s.replace(/\n  - name: node3[\s\S]*$/, '\n'));
    const actual = [...withMarkers(desiredRecords(smaller), 'prod-etcd'), handMade];
    const plan = diff(desiredRecords(smaller), actual, 'prod-etcd', 'example.com');
    assert.equal(plan.changes.length, 0);
  });

  it('does not adopt an identical record someone else made: conflict, no duplicate create', () => {
    const handMade = desired.find((r) => r.type === 'A')!;
    const plan = diff(desired, [{ ...handMade }], 'prod-etcd', 'example.com');
    assert.equal(plan.conflicts.length, 1);
    assert.match(plan.conflicts[0]!.reason, /not owned by prod-etcd/);
    assert.ok(!plan.changes.some((c) => c.after && key(c.after) === key(handMade)));
    assert.ok(!plan.changes.some((c) => c.marker && c.after?.name === handMade.name && /rr=A:/.test(c.after.rdata)));
  });

  it('two clusters in one zone never touch each other', () => {
    const blue = fixtureManifest((s) => s.replace('cluster: prod-etcd', 'cluster: blue').replace('domain: coreos.example.com', 'domain: blue.example.com').replace(/node(\d)\.coreos/g, 'b$1.blue'));
    const blueRecords = withMarkers(desiredRecords(blue), 'blue');
    const plan = diff(desired, [...inSync, ...blueRecords], 'prod-etcd', 'example.com');
    assert.equal(plan.changes.length, 0);
    assert.equal(plan.conflicts.length, 0);
  });

  it('a record another cluster owns at our name is a conflict naming that cluster', () => {
    const a = desired.find((r) => r.type === 'SRV')!;
    const plan = diff(desired, [a, markerFor(a, 'blue')], 'prod-etcd', 'example.com');
    assert.equal(plan.conflicts[0]!.owner, 'blue');
    assert.match(plan.conflicts[0]!.reason, /owned by cluster blue/);
  });

  it('a CNAME at a member host is a conflict, and no A record is planned there', () => {
    const cname = rec('node1.coreos.example.com', 'CNAME', 300, 'elsewhere.example.net.');
    const plan = diff(desired, [cname], 'prod-etcd', 'example.com');
    assert.ok(plan.conflicts.some((c) => c.record === cname && /cannot coexist/.test(c.reason)));
    assert.ok(!plan.changes.some((c) => c.after?.name === 'node1.coreos.example.com'));
  });

  it('applyToRecords gives what the provider holds after apply', () => {
    const plan = diff(desired, [], 'prod-etcd', 'example.com');
    const after = applyToRecords([], plan);
    assert.deepEqual(after.map(key).sort(), inSync.map(key).sort());
    assert.equal(diff(desired, after, 'prod-etcd', 'example.com').changes.length, 0);
  });
});
