import assert from 'node:assert/strict';
import { diff } from '../../src/plan/diff.js';
import { destroyPlan } from '../../src/plan/destroy.js';
import { managedNames, desiredRecords, withMarkers } from '../../src/records/desired.js';
import { rec, type Rec } from '../../src/records/record.js';
import { SrvctlError } from '../../src/errors.js';
import { manifestDigest, parseSavedPlan, readDigest, savePlan, savedAsPlan, verifySavedPlan } from '../../src/plan/saved.js';
import { fixtureManifest } from '../support/manifests.js';

const m = fixtureManifest();
const desired = desiredRecords(m);
const names = managedNames(m);
const NOW = new Date('2026-12-01T21:00:00Z');
// half the cluster already in place, owned
const actual: Rec[] = withMarkers(desired.filter((r) => r.type === 'SRV'), 'prod-etcd');

function saved(records: readonly Rec[] = actual) {
  const plan = diff(desired, records, m.cluster, m.provider.zone);
  return savePlan({ kind: 'sync', manifest: m, provider: 'zonefile', names, actual: records, plan, now: NOW });
}

function refusal(fn: () => unknown): SrvctlError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SrvctlError, String(e));
    return e;
  }
  assert.fail('expected a refusal');
}

describe('saved plans (plan --out, sync --plan)', () => {
  it('round-trips through JSON and applies when nothing changed: the plan returned is the fresh one, equal to the saved one', () => {
    const file = JSON.stringify(saved());
    const back = parseSavedPlan('p.json', file);
    assert.equal(back.read.records.length, actual.length);
    const fresh = diff(desired, actual, m.cluster, m.provider.zone);
    const plan = verifySavedPlan(back, { kind: 'sync', manifest: m, provider: 'zonefile', names, actual: [...actual].reverse(), plan: fresh });
    assert.equal(plan, fresh);
    assert.deepEqual(savedAsPlan(back).changes, fresh.changes);
  });

  it('the read digest is over sorted records with TTLs: order does not matter, a TTL does', () => {
    assert.equal(readDigest(names, actual), readDigest([...names].reverse(), [...actual].reverse()));
    assert.notEqual(readDigest(names, actual), readDigest(names, actual.map((r, i) => (i ? r : { ...r, ttl: r.ttl + 1 }))));
  });

  it('the manifest digest ignores the file path and comments but not meaning', () => {
    assert.equal(manifestDigest(m), manifestDigest(fixtureManifest((t) => `# a comment\n${t}`)));
    assert.equal(manifestDigest(m), manifestDigest({ ...m, file: '/elsewhere/cluster.yaml' }));
    assert.notEqual(manifestDigest(m), manifestDigest(fixtureManifest((t) => t.replace('ttl: 300', 'ttl: 301'))));
  });

  it('refuses after a foreign change at the provider, naming each record that appeared, vanished or changed', () => {
    const s = parseSavedPlan('p.json', JSON.stringify(saved()));
    const added = rec(desired[0]!.name, 'SRV', 300, '0 0 2380 intruder.coreos.example.com.');
    const changed = actual.map((r, i) => (i === 1 ? { ...r, ttl: 60 } : r));
    const now = [...changed, added];
    const e = refusal(() => verifySavedPlan(s, { kind: 'sync', manifest: m, provider: 'zonefile', names, actual: now, plan: diff(desired, now, m.cluster, m.provider.zone) }));
    assert.equal(e.code, 'provider');
    const why = e.details.join('\n');
    assert.match(why, /\+ _etcd-server\._tcp\.coreos\.example\.com\. 300 IN SRV 0 0 2380 intruder\.coreos\.example\.com\./);
    assert.ok(why.includes(`- ${actual[1]!.name}. 300 IN ${actual[1]!.type} ${actual[1]!.rdata}`), why);
    assert.ok(why.includes(`+ ${actual[1]!.name}. 60 IN ${actual[1]!.type} ${actual[1]!.rdata}`), why);
  });

  it('refuses a plan for another manifest, another provider, or another kind', () => {
    const s = saved();
    const other = fixtureManifest((t) => t.replace('ip' + 'v4: 10.0.0.3', 'ipv4: 10.0.0.9'));
    const fresh = diff(desired, actual, m.cluster, m.provider.zone);
    assert.match(refusal(() => verifySavedPlan(s, { kind: 'sync', manifest: other, provider: 'zonefile', names, actual, plan: fresh })).details.join(), /the manifest changed/);
    assert.match(refusal(() => verifySavedPlan(s, { kind: 'sync', manifest: m, provider: 'powerdns', names, actual, plan: fresh })).details.join(), /provider zonefile, the manifest now uses powerdns/);
    assert.match(refusal(() => verifySavedPlan(s, { kind: 'destroy', manifest: m, provider: 'zonefile', names, actual, plan: destroyPlan(actual, m.cluster, m.provider.zone, m.domain) })).details.join(), /the plan is for sync, not destroy/);
    const renamed = fixtureManifest((t) => t.replace('cluster: prod-etcd', 'cluster: blue'));
    assert.match(refusal(() => verifySavedPlan(s, { kind: 'sync', manifest: renamed, provider: 'zonefile', names, actual, plan: fresh })).details.join(), /cluster prod-etcd, the manifest is cluster blue/);
  });

  it('refuses when this srvctl would plan differently from the same inputs (other --adopt flags)', () => {
    const handMade = desired.map((r) => ({ ...r }));
    const s = saved(handMade);
    const adopting = diff(desired, handMade, m.cluster, m.provider.zone, { adopt: true });
    assert.match(refusal(() => verifySavedPlan(s, { kind: 'sync', manifest: m, provider: 'zonefile', names, actual: handMade, plan: adopting })).details.join(), /computes a different plan/);
  });

  it('a refused plan is never saved; an edited or truncated file is invalid input', () => {
    const refused = destroyPlan([], m.cluster, m.provider.zone, m.domain);
    assert.match(refusal(() => savePlan({ kind: 'destroy', manifest: m, provider: 'zonefile', names, actual: [], plan: refused, now: NOW })).details.join(), /nothing to destroy/);
    const s = saved();
    const edited = structuredClone(s);
    edited.plan.changes[0]!.after!.rdata = '10.6.6.6';
    assert.equal(refusal(() => parseSavedPlan('p.json', JSON.stringify(edited))).code, 'manifest');
    const tampered = structuredClone(s);
    tampered.read.records.pop();
    assert.match(refusal(() => parseSavedPlan('p.json', JSON.stringify(tampered))).message, /^p\.json: not a usable srvctl plan file: the records read do not match/);
    assert.match(refusal(() => parseSavedPlan('p.json', '{"format":"x"}')).message, /format is not "srvctl-plan\/1"/);
    assert.match(refusal(() => parseSavedPlan('p.json', JSON.stringify(s).slice(0, 100))).message, /invalid JSON/);
  });
});
