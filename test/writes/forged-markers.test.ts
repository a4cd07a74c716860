import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseZone } from '../../src/dns/zonefile.js';
import { SrvctlError } from '../../src/errors.js';
import { markerFor, parseMarker } from '../../src/records/ownership.js';
import { rec, recordText } from '../../src/records/record.js';
import { Bind, newKey, nsupdate, type BindKey } from '../support/bind.js';
import { dig } from '../support/dig.js';
import { freePort } from '../support/ports.js';
import { clusterYaml, manifestFrom, planInProcess, syncInProcess, testContext } from './pipeline.js';

const ZONE = `$ORIGIN example.com.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 604800 300
@ IN NS ns1
ns1 IN A 127.0.0.1
`;

const SECRET = 'a-marker-secret-of-32-characters';

/** The records the attacker wants gone: a foreign SRV at the cluster's SRV name and a foreign address at a member host. */
const FOREIGN_SRV = rec('_etcd-server._tcp.c.example.com', 'SRV', 300, '0 0 2380 other.example.net.');
const FOREIGN_A = rec('m0.c.example.com', 'A', 300, '10.9.9.9');

describe('writes: forged ownership markers', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'srvctl-forge-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('against BIND, where the attacker holds a key that may write only TXT', () => {
    let bind: Bind;
    let strong: BindKey;
    let weak: BindKey;
    beforeEach(async () => {
      strong = newKey('srvctl');
      weak = { ...newKey('txt-only', true, false), updateTypes: 'TXT' };
      const hand = `${ZONE}${recordText(FOREIGN_SRV)}\n${recordText(FOREIGN_A)}\n`;
      bind = new Bind({ zone: 'example.com', zoneText: hand, port: await freePort(), keys: [strong, weak] });
      await bind.start();
    });
    afterEach(async () => {
      await bind.dispose();
    });

    const manifest = (ownership: string) =>
      manifestFrom(
        join(dir, 'c.yaml'),
        clusterYaml({
          cluster: 'c',
          domain: 'c.example.com',
          zone: 'example.com',
          members: 3,
          net: 1,
          provider: `  type: rfc2136\n  server: 127.0.0.1\n  port: ${bind.port}\n  tsig: { name: srvctl, secretEnv: TSIG }\n${ownership}`,
        }),
      );
    const env = () => ({ TSIG: strong.secret, MARKERS: SECRET });
    const forge = async () => {
      // The weak key may not touch SRV or A records itself...
      await assert.rejects(nsupdate(bind.port, weak, [`update delete ${FOREIGN_SRV.name} SRV`]));
      // ...but it may write the markers that would make srvctl do it.
      for (const r of [FOREIGN_SRV, FOREIGN_A]) {
        const m = markerFor(r, 'c');
        await nsupdate(bind.port, weak, [`update add ${m.name} 300 TXT ${m.rdata}`]);
      }
    };
    const served = async () => [
      ...(await dig('127.0.0.1', bind.port, FOREIGN_SRV.name, 'SRV')).answers.map((a) => a.rdata),
      ...(await dig('127.0.0.1', bind.port, FOREIGN_A.name, 'A')).answers.map((a) => a.rdata),
    ];

    it('without a marker secret, the forged markers would make srvctl delete the foreign SRV and A (the attack is real)', async () => {
      await forge();
      const plan = await planInProcess(manifest(''), testContext(env()));
      const deleted = plan.changes.filter((c) => c.before && !c.marker).map((c) => c.before!.rdata);
      assert.ok(deleted.includes(FOREIGN_SRV.rdata), 'the forged marker makes the foreign SRV look owned');
      assert.ok(deleted.includes(FOREIGN_A.rdata), 'the forged marker makes the foreign A look owned');
    });

    it('with a marker secret, the sync deletes nothing foreign; its own signed markers are recognised on the next run', async () => {
      await forge();
      const m = manifest('  ownership: { secretEnv: MARKERS }\n');
      const { plan } = await syncInProcess(m, testContext(env()));
      assert.deepEqual(plan.changes.filter((c) => c.action !== 'create'), [], 'nothing deleted or changed');
      assert.ok(plan.conflicts.some((c) => c.record.rdata === FOREIGN_SRV.rdata), 'the foreign SRV is shown as foreign');
      const now = await served();
      assert.ok(now.includes('0 0 2380 other.example.net.'), 'the foreign SRV is still served');
      assert.ok(now.includes('10.9.9.9'), 'the foreign A is still served');
      // The markers srvctl wrote carry a mac; a second run plans nothing.
      const txt = (await dig('127.0.0.1', bind.port, 'm1.c.example.com', 'TXT')).answers.map((a) => a.rdata).join(' ');
      assert.match(txt, /srvctl\/mac=[0-9a-f]{24}"/);
      const again = await planInProcess(m, testContext(env()));
      assert.deepEqual(again.changes, []);
    });
  });

  describe('against the zone file', () => {
    const manifest = (zone: string, ownership: string) =>
      manifestFrom(join(dir, 'c.yaml'), clusterYaml({ cluster: 'c', domain: 'c.example.com', zone: 'example.com', members: 3, net: 1, provider: `  type: zonefile\n  path: ${zone}\n${ownership}` }));

    it('a marker copied from another name, or written without the secret, leaves the record foreign', async () => {
      const zone = join(dir, 'example.com.zone');
      await writeFile(join(dir, 'marker.key'), `${SECRET}\n`);
      await chmod(join(dir, 'marker.key'), 0o600);
      const m = manifest(zone, '  ownership: { secretFile: marker.key }\n');
      await writeFile(zone, ZONE);
      await syncInProcess(m);
      const text = await readFile(zone, 'utf8');
      // A genuine signed marker of m1's A record, copied to m0's name beside an A record it would fit.
      const signedM1 = parseZone(text, 'example.com').records.find((r) => r.name === 'm1.c.example.com' && r.type === 'TXT')!;
      assert.ok(parseMarker(signedM1)?.mac);
      const forgedA = rec('m0.c.example.com', 'A', 300, '10.1.0.2'); // m1's address, at m0: the copied marker's digest fits it
      await writeFile(zone, `${text}${recordText(forgedA)}\n${recordText({ ...signedM1, name: 'm0.c.example.com' })}\n${recordText(markerFor(FOREIGN_SRV, 'c'))}\n${recordText(FOREIGN_SRV)}\n`);
      const plan = await planInProcess(m);
      assert.deepEqual(plan.changes.filter((c) => c.before), [], 'no foreign record is deleted or changed');
      const unsigned = await planInProcess(manifest(zone, ''));
      assert.ok(unsigned.changes.some((c) => c.before?.rdata === FOREIGN_SRV.rdata), 'without the secret the forged marker would delete it');
    });

    it('a marker secret file readable by others, or too short, is refused before anything is read', async () => {
      const zone = join(dir, 'example.com.zone');
      await writeFile(zone, ZONE);
      await writeFile(join(dir, 'marker.key'), SECRET);
      await chmod(join(dir, 'marker.key'), 0o644);
      await assert.rejects(planInProcess(manifest(zone, '  ownership: { secretFile: marker.key }\n')), (e: unknown) => e instanceof SrvctlError && /chmod 600/.test(e.message));
      await assert.rejects(planInProcess(manifest(zone, '  ownership: { secretEnv: SHORT }\n'), testContext({ SHORT: 'short' })), (e: unknown) => e instanceof SrvctlError && /at least 16/.test(e.message) && !e.message.includes('short'));
    });
  });

  describe('a host two clusters list', () => {
    it('keeps its address record while either cluster still wants it', async () => {
      const zone = join(dir, 'example.com.zone');
      await writeFile(zone, ZONE);
      const shared = (cluster: string, withHost: boolean) =>
        manifestFrom(
          join(dir, `${cluster}.yaml`),
          `version: 1\ncluster: ${cluster}\ndomain: ${cluster}.example.com\netcd: { version: "3.5" }\nprovider: { type: zonefile, path: ${zone}, zone: example.com }\nmembers:\n` +
            `  - { name: own, host: own.${cluster}.example.com, ipv4: 10.0.${cluster === 'x' ? 1 : 2}.1 }\n` +
            (withHost ? `  - { name: shared, host: shared.example.com, ipv4: 10.0.0.5 }\n` : ''),
        );
      const sharedA = () => parseZone(readFileSync(zone, 'utf8'), 'example.com').records.filter((r) => r.name === 'shared.example.com' && r.type === 'A');
      await syncInProcess(shared('x', true));
      const y = await syncInProcess(shared('y', true));
      assert.deepEqual(y.plan.conflicts.filter((c) => c.record.name === 'shared.example.com'), [], 'y joins the claim instead of a conflict');
      assert.equal(sharedA().length, 1);
      // x drops the host: y still lists it, so the address stays.
      const xDrops = await syncInProcess(shared('x', false));
      assert.ok(!xDrops.plan.changes.some((c) => c.before?.type === 'A' && c.before.name === 'shared.example.com' && !c.marker));
      assert.equal(sharedA().length, 1, "the address of y's SRV target is still there");
      assert.deepEqual((await planInProcess(shared('y', true))).changes, [], 'y is in sync');
      // y drops it too: now it goes.
      await syncInProcess(shared('y', false));
      assert.equal(sharedA().length, 0);
    });
  });
});
