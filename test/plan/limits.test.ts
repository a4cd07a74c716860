import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeResponse } from '../../src/dns/codec.js';
import { MAX_TCP_MESSAGE, srvAnswerOctets } from '../../src/plan/limits.js';
import { rec, srvRdata } from '../../src/records/record.js';
import { cliInProcess } from '../commands/inprocess.js';
import { run } from '../reconcile/harness.js';

const ZONE = `$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n`;
const SRV = '_etcd-server._tcp.coreos.example.com';

function manifestText(zonePath: string, members: number, providerExtra = ''): string {
  const list = Array.from({ length: members }, (_, i) => `  - { name: node${i + 1}, host: node${i + 1}.coreos.example.com, ipv4: 10.${(i + 1) >> 16}.${((i + 1) >> 8) & 255}.${(i + 1) & 255} }`).join('\n');
  return `version: 1
cluster: big
domain: coreos.example.com
etcd: { version: "3.5" }
provider: { type: zonefile, zone: example.com, path: ${zonePath}${providerExtra} }
members:
${list}
`;
}

const srvRecords = (n: number) => Array.from({ length: n }, (_, i) => rec(SRV, 'SRV', 300, srvRdata({ priority: 0, weight: 0, port: 2380, target: `node${i + 1}.coreos.example.com` })));

describe('plan-time limits: the SRV answer size', () => {
  it('is the exact size of the answer the codec encodes (question, uncompressed targets, EDNS OPT)', () => {
    for (const n of [1, 7, 300]) {
      const records = srvRecords(n);
      const encoded = encodeResponse({ id: 1, opcode: 0, aa: true, tc: false, rd: false, rcode: 0, questions: [{ name: SRV, type: 33, class: 1 }], answers: records, authority: [], additional: [], edns: { size: 1232, version: 0, do: false, extendedRcode: 0 }, errors: [] } as Parameters<typeof encodeResponse>[0]);
      const { octets, fits } = srvAnswerOctets(SRV, records);
      assert.equal(octets, encoded.length, `${n} records`);
      assert.equal(fits, n);
    }
  });

  it('says how many records fit: the most any answer within 65,535 octets can hold (shortest targets first)', () => {
    const records = srvRecords(3000);
    const { octets, fits } = srvAnswerOctets(SRV, records);
    assert.ok(octets > MAX_TCP_MESSAGE);
    // node1..node9 are the shortest targets, then node10..node99, ...: the first `fits` in member order are the shortest
    assert.ok(srvAnswerOctets(SRV, records.slice(0, fits)).octets <= MAX_TCP_MESSAGE);
    assert.ok(srvAnswerOctets(SRV, records.slice(0, fits + 1)).octets > MAX_TCP_MESSAGE);
    assert.equal(srvAnswerOctets(SRV, [...records].reverse()).fits, fits, 'independent of the order');
  });
});

describe('plan-time limits through the pipeline (in-process, zone file provider)', function () {
  this.timeout(60_000);
  let dir: string;
  let zone: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), `srvctl-limits-${process.pid}-`));
    zone = join(dir, 'example.com.zone');
    file = join(dir, 'cluster.yaml');
    writeFileSync(zone, ZONE);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('an SRV answer over 64 KiB: plan and sync refuse with the limit, the size and the member count where it stops; nothing written', async () => {
    const members = 2700;
    writeFileSync(file, manifestText(zone, members));
    const expected = srvAnswerOctets(SRV, srvRecords(members));
    for (const mode of ['plan', 'sync'] as const) {
      const r = await run({ mode, file, yes: true });
      assert.equal(r.outcome, 'refused', mode);
      assert.equal(r.error?.stage, 'plan');
      assert.equal(r.error?.code, 'provider');
      assert.equal(r.writes.length, 0);
      const srv = r.plan!.limits!.filter((b) => b.limit === 'srv-answer');
      // both SRV names (server and client) carry one record per member
      assert.deepEqual(srv.map((b) => b.name).sort(), ['_etcd-client._tcp.coreos.example.com', SRV]);
      const server = srv.find((b) => b.name === SRV)!;
      assert.equal(server.max, 65_535);
      assert.equal(server.size, expected.octets);
      assert.equal(server.records, members);
      assert.equal(server.fits, expected.fits);
      assert.ok(server.fits < members && server.fits > 1000);
      assert.ok(r.error!.details.some((d) => d.includes(String(server.fits))));
      assert.equal(readFileSync(zone, 'utf8'), ZONE, 'the zone file is untouched');
    }
  });

  it("an RRset over the manifest's provider.maxRecordsPerRRset is refused naming the limit; 0 lifts it", async () => {
    writeFileSync(file, manifestText(zone, 6, ', maxRecordsPerRRset: 5'));
    const r = await run({ mode: 'sync', file, yes: true });
    assert.equal(r.outcome, 'refused');
    assert.equal(r.writes.length, 0);
    const limits = r.plan!.limits!;
    // the server and client SRV sets and the marker TXT sets at both names
    assert.deepEqual(limits.map((b) => `${b.name} ${b.type}`).sort(), ['_etcd-client._tcp.coreos.example.com SRV', '_etcd-client._tcp.coreos.example.com TXT', `${SRV} SRV`, `${SRV} TXT`]);
    for (const b of limits) {
      assert.equal(b.limit, 'rrset-records');
      assert.equal(b.max, 5);
      assert.equal(b.size, 6);
      assert.match(b.source, /provider\.maxRecordsPerRRset/);
    }
    assert.equal(readFileSync(zone, 'utf8'), ZONE);

    writeFileSync(file, manifestText(zone, 6, ', maxRecordsPerRRset: 0'));
    const lifted = await run({ mode: 'sync', file, yes: true, verify: false });
    assert.equal(lifted.error, undefined, JSON.stringify(lifted.error));
    assert.equal(lifted.outcome, 'applied');
    assert.equal(lifted.plan!.limits, undefined);
  });

  it('the CLI: exit 1 and the limit fields in --json (plan and sync)', async () => {
    writeFileSync(file, manifestText(zone, 3, ', maxRecordsPerRRset: 2'));
    for (const args of [['plan', file, '--json'], ['sync', file, '--yes', '--json']]) {
      const r = await cliInProcess(args);
      assert.equal(r.code, 1, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.outcome, 'refused');
      assert.equal(doc.error.code, 'provider');
      assert.equal(doc.applied, false);
      const b = doc.plan.limits.find((x: { name: string; type: string }) => x.name === SRV && x.type === 'SRV');
      assert.deepEqual({ limit: b.limit, max: b.max, size: b.size, records: b.records, fits: b.fits }, { limit: 'rrset-records', max: 2, size: 3, records: 3, fits: 2 });
      assert.match(r.stderr, /over the limit of 2 records per RRset/);
    }
    assert.equal(readFileSync(zone, 'utf8'), ZONE);
  });

  it('within the limit nothing is refused, and an RRset the plan does not grow is not judged', async () => {
    writeFileSync(file, manifestText(zone, 5, ', maxRecordsPerRRset: 5'));
    const r = await run({ mode: 'sync', file, yes: true, verify: false });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.outcome, 'applied');
    // a lower limit afterwards: the plan changes nothing, so nothing is judged
    writeFileSync(file, manifestText(zone, 5, ', maxRecordsPerRRset: 2'));
    const again = await run({ mode: 'plan', file });
    assert.equal(again.error, undefined, JSON.stringify(again.error));
    assert.equal(again.outcome, 'in-sync');
  });
});
