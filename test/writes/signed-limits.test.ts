import assert from 'node:assert/strict';
import type { Provider } from '../../providers/provider.js';
import { withSignedMarkers } from '../../providers/signed-markers.js';
import type { Plan } from '../../src/plan/plan.js';
import { diff } from '../../src/plan/diff.js';
import { desiredRecords } from '../../src/records/desired.js';
import { parseMarker } from '../../src/records/ownership.js';
import { fixtureManifest } from '../support/manifests.js';

/**
 * With a marker secret, the provider's write limits (rfc2136: the largest UPDATE) are judged
 * on the markers as written, each one carrying its mac, not on the plan's shorter unsigned
 * form: a change at the bound is refused at plan time instead of at apply.
 */
describe('signed markers: the write limits see the signed markers', () => {
  it('limitBreaches judges the plan with every created marker signed, as apply writes it', () => {
    const m = fixtureManifest();
    const plan = diff(desiredRecords(m), [], m.cluster, m.provider.zone);
    let judged: Plan | undefined;
    const inner = { limitBreaches: (p: Plan) => ((judged = p), []) } as unknown as Provider;
    const wrapped = withSignedMarkers(inner, m.cluster, Buffer.from('a-marker-secret-of-32-characters'));
    assert.deepEqual(wrapped.limitBreaches!(plan), []);
    const markers = judged!.changes.filter((c) => c.marker && c.after);
    assert.ok(markers.length > 0);
    for (const c of markers) assert.ok(parseMarker(c.after!)?.mac, `${c.after!.name}: signed`);
    const octets = (p: Plan) => p.changes.reduce((n, c) => n + (c.after?.rdata.length ?? 0), 0);
    assert.ok(octets(judged!) > octets(plan), 'the judged plan is the longer, signed one');
    assert.ok(plan.changes.filter((c) => c.marker).every((c) => !parseMarker(c.after!)?.mac), "the caller's plan is not changed");
  });

  it('a provider without write limits keeps having none', () => {
    const m = fixtureManifest();
    const wrapped = withSignedMarkers({} as Provider, m.cluster, Buffer.from('a-marker-secret-of-32-characters'));
    assert.equal(wrapped.limitBreaches, undefined);
  });
});
