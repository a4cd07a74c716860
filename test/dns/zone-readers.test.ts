import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadZoneFile, withZoneFileSnapshot } from '../../providers/zonefile.js';
import { parseZone, parseZoneRecords, recordsAt, recordsAtNames, ZoneParseError } from '../../src/dns/zonefile.js';
import { FIXTURES } from '../support/run.js';

const hand = readFileSync(join(FIXTURES, 'example.com.hand.zone'), 'utf8');

/** Texts that exercise the parser's fast rdata path and its general path side by side. */
const MIXED = [
  '$ORIGIN Example.COM.',
  '$TTL 1h',
  '@ IN SOA ns1 hostmaster ( 1 3600 600',
  '   604800 300 )',
  'ns1 IN A 192.0.2.1',
  '_etcd-server._tcp.C IN SRV 0 0 2380 N1.c',
  '_etcd-server._tcp.C IN SRV 00 0 2380 n2.c.example.com.',
  '_etcd-server._tcp.C IN SRV 0 0 2380 @',
  'n1.c IN TXT "plain" words "with \\"quote\\"" "\\200"',
  'n1.c IN CNAME Target.Example.NET.',
  'x IN TYPE1 \\# 4 0a000001',
  'y 300 IN TYPE65280 \\# 2 abcd',
  'z IN AAAA 2001:DB8::1',
].join('\r\n');

function errorOf(fn: () => unknown): ZoneParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ZoneParseError) return e;
    throw e;
  }
  assert.fail('expected a parse error');
}

describe('zone readers: records-only parse, index by name, snapshot', () => {
  it('parseZoneRecords gives the records parseZone gives, fast path or not', () => {
    for (const text of [hand, MIXED]) assert.deepEqual(parseZoneRecords(text, 'example.com').records, parseZone(text, 'example.com').records);
    const r = parseZoneRecords(MIXED, 'example.com').records;
    assert.deepEqual(
      r.filter((x) => x.name === 'ns1.example.com').map((x) => x.rdata),
      ['192.0.2.1'],
    );
    assert.deepEqual(
      r.filter((x) => x.type === 'SRV').map((x) => x.rdata),
      ['0 0 2380 n1.c.example.com.', '0 0 2380 n2.c.example.com.', '0 0 2380 example.com.'],
    );
    assert.equal(r.find((x) => x.type === 'TXT')!.rdata, '"plain" "words" "with \\"quote\\"" "\\200"');
    assert.equal(r.find((x) => x.name === 'x.example.com')!.rdata, '10.0.0.1');
  });

  it('reports the same errors, and a tokenizing error anywhere before a record error earlier in the file', () => {
    const bad = ['$TTL 300\nx IN A 010.0.0.1\n', '$TTL 300\nx IN BOGUS 1\n', '$TTL 300\nx IN A 10.0.0.300\n', '$TTL 300\nx IN SRV 0 0 node1\n', 'x IN A 10.0.0.1\n'];
    for (const text of bad) {
      const a = errorOf(() => parseZone(text, 'example.com'));
      const b = errorOf(() => parseZoneRecords(text, 'example.com'));
      assert.deepEqual([b.line, b.column, b.message], [a.line, a.column, a.message]);
    }
    const e = errorOf(() => parseZoneRecords('$TTL 300\nx IN BOGUS 1\ny IN A 10.0.0.1\nz IN TXT "open\n', 'example.com'));
    assert.deepEqual([e.line, e.column, e.message], [4, 10, 'unterminated quoted string']);
  });

  it('the index by name returns what a filter of the records returns, in zone order', () => {
    const zone = parseZoneRecords(MIXED, 'example.com');
    const names = ['n1.c.example.com', 'ns1.example.com', 'nowhere.example.com', 'ns1.example.com'];
    assert.deepEqual(recordsAtNames(zone, names), zone.records.filter((r) => names.includes(r.name)));
    assert.deepEqual(recordsAt(zone, '_etcd-server._tcp.c.example.com').length, 3);
    assert.deepEqual(recordsAt(zone, 'nowhere.example.com'), []);
  });

  it('inside a snapshot a zone file is read once; outside, every load reads the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'srvctl-snapshot-'));
    try {
      const file = join(dir, 'example.com.zone');
      await writeFile(file, '$TTL 300\n@ IN SOA ns1 h 1 3600 600 604800 300\nn1 IN A 10.0.0.1\n');
      await withZoneFileSnapshot(async () => {
        const [a, b] = await Promise.all([loadZoneFile(file, 'example.com'), loadZoneFile(file, 'example.com')]);
        assert.equal(a, b);
        await writeFile(file, '$TTL 300\n@ IN SOA ns1 h 2 3600 600 604800 300\nn1 IN A 10.0.0.2\n');
        const c = await loadZoneFile(file, 'example.com');
        assert.equal(c, a);
        assert.equal(c!.zone.records.find((r) => r.type === 'A')!.rdata, '10.0.0.1');
      });
      const d = await loadZoneFile(file, 'example.com');
      assert.equal(d!.zone.records.find((r) => r.type === 'A')!.rdata, '10.0.0.2');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
