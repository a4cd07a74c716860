import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openProvider } from '../../providers/index.js';
import { requireManifest } from '../../src/manifest/load.js';
import { diff } from '../../src/plan/diff.js';
import { readManaged } from '../../src/plan/gather.js';
import { desiredRecords } from '../../src/records/desired.js';
import { isSrvctlError } from '../../src/errors.js';
import { Bind, newKey, type BindKey } from '../support/bind.js';
import { Knot } from '../support/knot.js';
import { dig } from '../support/dig.js';
import { freePort } from '../support/ports.js';
import { run } from '../reconcile/harness.js';

/**
 * Issue 18: a plan whose UPDATE passes 64 KiB (one UPDATE used to end in a raw Node
 * RangeError at about 125 members) goes out as several signed UPDATEs, each under 64 KiB
 * with its own prerequisites, against a real BIND whose per-RRset limit is lifted.
 */
const ZONE = `$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n`;
const MEMBERS = 320;
/** enough members that the address records alone fill more than one UPDATE */
const MANY = 450;
const SRV = '_etcd-server._tcp.coreos.example.com';

function manifestText(port: number, keyName: string, members: number, extra = 'maxRecordsPerRRset: 0, '): string {
  const list = Array.from({ length: members }, (_, i) => `  - { name: node${i + 1}, host: node${i + 1}.coreos.example.com, ipv4: 10.0.${(i + 1) >> 8}.${(i + 1) & 255} }`).join('\n');
  return `version: 1
cluster: big
domain: coreos.example.com
etcd: { version: "3.5" }
provider: { type: rfc2136, zone: example.com, server: 127.0.0.1, port: ${port}, ${extra}tsig: { name: ${keyName}, secretEnv: SECRET } }
members:
${list}
verify: { wait: 20s, timeout: 2s, nameservers: ["127.0.0.1:${port}"] }
`;
}

const srvCount = async (port: number, name = SRV) => (await dig('127.0.0.1', port, name, 'SRV', ['+tcp'])).answers.length;

describe('rfc2136: a plan over 64 KiB as several signed UPDATEs (real BIND, max-records-per-type 0)', function () {
  this.timeout(120_000);
  let bind: Bind;
  let key: BindKey;
  let addressesOnly: BindKey;
  let dir: string;

  beforeEach(async () => {
    key = newKey('srvctl');
    // may change address records and markers only: the SRV UPDATEs are refused
    addressesOnly = { ...newKey('addronly'), updateTypes: 'A AAAA TXT' };
    bind = new Bind({ zone: 'example.com', zoneText: ZONE, port: await freePort(), keys: [key, addressesOnly], options: ['max-records-per-type 0;'] });
    await bind.start();
    dir = mkdtempSync(join(tmpdir(), `srvctl-split-${process.pid}-`));
  });
  afterEach(async () => {
    await bind.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`syncs ${MEMBERS} members in several UPDATEs each under 64 KiB; a second sync is a no-op`, async () => {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, manifestText(bind.port, 'srvctl', MEMBERS));
    const r = await run({ mode: 'sync', file, yes: true }, { env: { SECRET: key.secret } });
    assert.equal(r.error, undefined, JSON.stringify(r.error) + bind.log().slice(-2000));
    assert.equal(r.outcome, 'applied');
    const write = r.writes.find((w) => w.action === 'dns apply')!;
    assert.ok(write.ok);
    assert.equal(write.applied, r.plan!.changes.length);
    const sent = /sent (\d+) signed UPDATEs/.exec(write.notes[0]!);
    assert.ok(sent && Number(sent[1]) >= 2, write.notes.join('\n'));
    const sizes = write.notes.slice(1).map((n) => Number(/, (\d+) octets before its TSIG record/.exec(n)![1]));
    assert.equal(sizes.length, Number(sent[1]));
    for (const s of sizes) assert.ok(s < 65_535 - 512, `an UPDATE of ${s} octets`);
    assert.ok(sizes.reduce((a, b) => a + b, 0) > 65_535, 'the plan as one UPDATE would not fit 64 KiB');
    assert.equal(r.verify && r.verify !== null ? r.verify.ok : false, true);
    assert.equal(await srvCount(bind.port), MEMBERS);
    assert.equal(await srvCount(bind.port, '_etcd-client._tcp.coreos.example.com'), MEMBERS);

    const again = await run({ mode: 'sync', file, yes: true }, { env: { SECRET: key.secret } });
    assert.equal(again.error, undefined, JSON.stringify(again.error));
    assert.equal(again.outcome, 'in-sync');
    assert.equal(again.plan!.changes.length, 0);
    assert.equal(again.writes.length, 0);

    // Growing the RRsets past about 505 records: their SRV and marker TXT records as the guard leave no room in 64 KiB. Refused at plan time.
    writeFileSync(file, manifestText(bind.port, 'srvctl', 600));
    const serial = (await dig('127.0.0.1', bind.port, 'example.com', 'SOA')).answers[0]!.rdata;
    for (const mode of ['plan', 'sync'] as const) {
      const grow = await run({ mode, file, yes: true }, { env: { SECRET: key.secret } });
      assert.equal(grow.outcome, 'refused', mode);
      assert.equal(grow.error?.stage, 'plan');
      assert.equal(grow.writes.length, 0);
      const [b] = grow.plan!.limits!;
      assert.equal(b!.limit, 'update-message');
      assert.equal(b!.max, 65_535 - 1_024);
      assert.ok(b!.size > b!.max);
      assert.ok(b!.records >= MEMBERS, `${b!.records} records`);
    }
    assert.equal((await dig('127.0.0.1', bind.port, 'example.com', 'SOA')).answers[0]!.rdata, serial, 'nothing written');
  });

  it('a later UPDATE that fails is reported with the ones applied before it; the next sync finishes', async () => {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, manifestText(bind.port, 'addronly', MANY));
    const m = requireManifest(file, manifestText(bind.port, 'addronly', MANY)).manifest;
    const provider = await openProvider(m, { env: { SECRET: addressesOnly.secret }, debug: () => undefined, now: () => new Date() });
    const { actual } = await readManaged(m, (n) => provider.read(n));
    const plan = diff(desiredRecords(m), actual, m.cluster, m.provider.zone);
    let failure: unknown;
    await provider.apply(plan).catch((e) => (failure = e));
    assert.ok(isSrvctlError(failure), String(failure));
    // the UPDATEs with address records only went through; the first one carrying SRV records was refused
    const applied = failure.details.filter((d) => d.startsWith('applied: '));
    assert.ok(applied.length >= 1, failure.details.join('\n'));
    assert.ok(applied.every((d) => /\(A, TXT\)/.test(d)), 'only address records and their markers were applied');
    assert.match(failure.details[applied.length]!, new RegExp(`^failed: UPDATE ${applied.length + 1} of \\d+: .*SRV`));
    assert.match(failure.message, /refused the update \(REFUSED\)/);
    assert.match(failure.message, new RegExp(`UPDATEs? 1(–${applied.length})? of \\d+ (was|were) applied and stay`));
    assert.ok(failure.details.slice(applied.length + 1).length >= 1);
    assert.ok(failure.details.slice(applied.length + 1).every((d) => d.startsWith('not sent: ')));
    // what stayed is what etcd tolerates: addresses, no SRV record naming a host without one
    assert.equal((await dig('127.0.0.1', bind.port, 'node1.coreos.example.com', 'A')).answers.length, 1);
    assert.equal(await srvCount(bind.port), 0);

    // the next sync (a key with every right) continues from there: what was applied is owned, not planned again
    writeFileSync(file, manifestText(bind.port, 'srvctl', MANY));
    const r = await run({ mode: 'sync', file, yes: true }, { env: { SECRET: key.secret } });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.ok(r.plan!.changes.every((c) => c.action === 'create'));
    assert.ok(r.plan!.changes.length < plan.changes.length);
    assert.ok(!r.plan!.changes.some((c) => c.after!.name === 'node1.coreos.example.com'), 'node1 A and its marker were applied and are owned');
    assert.equal(r.plan!.conflicts.length, 0);
    assert.equal(await srvCount(bind.port), MANY);
  });
});

describe('rfc2136: the same split against Knot (another UPDATE parser: compressed owner names, prerequisites per message)', function () {
  this.timeout(120_000);
  it(`syncs ${MEMBERS} members in several UPDATEs; a second sync is a no-op`, async () => {
    const key = newKey('srvctl');
    const knot = new Knot({ zone: 'example.com', zoneText: ZONE, port: await freePort(), keys: [key] });
    const dir = mkdtempSync(join(tmpdir(), `srvctl-split-knot-${process.pid}-`));
    try {
      await knot.start();
      const file = join(dir, 'cluster.yaml');
      writeFileSync(file, manifestText(knot.port, 'srvctl', MEMBERS));
      const r = await run({ mode: 'sync', file, yes: true }, { env: { SECRET: key.secret } });
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      assert.match(r.writes.find((w) => w.action === 'dns apply')!.notes[0]!, /sent [2-9] signed UPDATEs/);
      assert.equal(await srvCount(knot.port), MEMBERS);
      const again = await run({ mode: 'sync', file, yes: true }, { env: { SECRET: key.secret } });
      assert.equal(again.error, undefined, JSON.stringify(again.error));
      assert.equal(again.outcome, 'in-sync');
    } finally {
      await knot.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("rfc2136: BIND's default per-RRset limit is met at plan time (real BIND 9.18, max-records-per-type 100)", function () {
  this.timeout(60_000);
  let bind: Bind;
  let dir: string;
  const key = newKey('srvctl');
  before(async () => {
    bind = new Bind({ zone: 'example.com', zoneText: ZONE, port: await freePort(), keys: [key] });
    await bind.start();
    dir = mkdtempSync(join(tmpdir(), `srvctl-limit-${process.pid}-`));
  });
  after(async () => {
    await bind?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('110 members: refused before any write naming the limit; with the limit lifted in the manifest only, BIND fails the SRV UPDATE', async () => {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, manifestText(bind.port, 'srvctl', 110, ''));
    const serial = async () => (await dig('127.0.0.1', bind.port, 'example.com', 'SOA')).answers[0]!.rdata.split(' ')[2];
    const before = await serial();
    const r = await run({ mode: 'sync', file, yes: true }, { env: { SECRET: key.secret } });
    assert.equal(r.outcome, 'refused');
    assert.equal(r.error?.stage, 'plan');
    assert.equal(r.writes.length, 0);
    const limits = r.plan!.limits!;
    assert.ok(limits.length >= 2, 'the SRV RRsets and the marker TXT RRsets at their names');
    for (const b of limits) {
      assert.equal(b.limit, 'rrset-records');
      assert.equal(b.max, 100);
      assert.equal(b.size, 110);
      assert.match(b.source, /max-records-per-type/);
    }
    assert.ok(limits.some((b) => b.name === SRV && b.type === 'SRV'));
    assert.equal(await serial(), before, 'nothing written');

    // The limit is BIND's: told there is none, srvctl writes the addresses, and BIND fails the SRV UPDATE.
    writeFileSync(file, manifestText(bind.port, 'srvctl', 110));
    const forced = await run({ mode: 'sync', file, yes: true }, { env: { SECRET: key.secret } });
    assert.equal(forced.error?.stage, 'write', JSON.stringify(forced.error));
    assert.match(forced.error!.message, /SERVFAIL|REFUSED/);
    assert.equal(await srvCount(bind.port), 0);
    assert.match(bind.log(), /max-records-per-type|too many records/i);
  });
});
