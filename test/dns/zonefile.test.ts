import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextSerial } from '../../src/dns/serial.js';
import { editZone, skeletonZone, ZoneEditConflict } from '../../src/dns/zoneedit.js';
import { parseZone, ZoneParseError } from '../../src/dns/zonefile.js';
import { rec, recordText } from '../../src/records/record.js';
import { FIXTURES, run } from '../support/run.js';

const hand = readFileSync(join(FIXTURES, 'example.com.hand.zone'), 'utf8');
const now = new Date('2026-11-27T12:00:00Z');

async function checkzone(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'srvctl-zone-'));
  try {
    const file = join(dir, 'zone');
    await writeFile(file, text);
    const r = await run('named-checkzone', ['example.com', file]);
    assert.equal(r.code, 0, `named-checkzone rejected the zone:\n${r.stdout}${r.stderr}\n${text}`);
    return r.stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function parseError(text: string): ZoneParseError {
  try {
    parseZone(text, 'example.com');
  } catch (e) {
    if (e instanceof ZoneParseError) return e;
    throw e;
  }
  assert.fail('expected a parse error');
}

describe('zone files', () => {
  it('parse $ORIGIN, $TTL, @, parentheses, omitted owners and relative names', () => {
    const z = parseZone(hand, 'example.com');
    const text = z.records.map(recordText);
    assert.deepEqual(text, [
      'example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2026112701 3600 600 604800 300',
      'example.com. 3600 IN NS ns1.example.com.',
      'example.com. 3600 IN NS ns2.example.net.',
      'ns1.example.com. 3600 IN A 192.0.2.53',
      'www.example.com. 300 IN CNAME web.example.net.',
      'mail.example.com. 3600 IN MX 10 mx1.example.net.',
      'mail.example.com. 3600 IN TXT "v=spf1 -all"',
      '_etcd-server._tcp.coreos.example.com. 300 IN SRV 0 0 2380 rogue.coreos.example.com.',
      'coreos.example.com. 3600 IN TXT "owned by the platform team"',
    ]);
  });

  it('name the line and column of what does not parse', () => {
    const e1 = parseError('$TTL 300\n@ IN SOA a. b. 1 2 3 4 5\nnode1 IN A 10.0.0.300\n');
    assert.deepEqual([e1.line, e1.column, e1.message], [3, 12, '"10.0.0.300" is not an IPv4 address']);
    const e2 = parseError('$TTL 300\n_x._tcp IN SRV 0 0 node1\n');
    assert.deepEqual([e2.line, e2.message], [2, 'SRV needs 4 rdata field(s), found 3']);
    const e3 = parseError('$TTL 300\n@ IN SOA a. b. ( 1 2 3 4 5\n');
    assert.match(e3.message, /unbalanced "\("/);
    const e4 = parseError('$INCLUDE other.zone\n');
    assert.match(e4.message, /\$INCLUDE is not supported/);
    const e5 = parseError('$TTL 300\nfoo IN TXT "open\n');
    assert.deepEqual([e5.line, e5.column, e5.message], [2, 12, 'unterminated quoted string']);
  });

  it('editing keeps every other line, comments included, bumps the serial, and BIND loads the result', async () => {
    const add = [rec('_etcd-server._tcp.coreos.example.com', 'SRV', 300, '0 0 2380 node1.coreos.example.com.'), rec('node1.coreos.example.com', 'A', 300, '10.0.0.1')];
    const out = editZone(hand, 'example.com', [], add, now);
    const before = hand.split('\n').filter((l) => !/2026112701/.test(l) && l !== '');
    for (const line of before) assert.ok(out.includes(line), `lost line: ${line}`);
    assert.match(out, /2026112702 ; serial/);
    assert.ok(out.endsWith(`${add.map(recordText).join('\n')}\n`));
    const checked = await checkzone(out);
    assert.match(checked, /loaded serial 2026112702/);
  });

  it('removing a record whose owner the next line inherits writes that owner out', async () => {
    const text = '$TTL 300\n@ IN SOA a. b. 7 2 3 4 5\n  IN NS ns.example.net.\nnode1 IN A 10.0.0.1\n      IN TXT "keep me"\n';
    const out = editZone(text, 'example.com', [rec('node1.example.com', 'A', 300, '10.0.0.1')], [], now);
    assert.deepEqual(parseZone(out, 'example.com').records.map(recordText), [
      'example.com. 300 IN SOA a. b. 8 2 3 4 5',
      'example.com. 300 IN NS ns.example.net.',
      'node1.example.com. 300 IN TXT "keep me"',
    ]);
  });

  it('refuses an edit when the zone changed since it was read', () => {
    assert.throws(() => editZone(hand, 'example.com', [rec('gone.example.com', 'A', 300, '10.9.9.9')], [], now), ZoneEditConflict);
    assert.throws(() => editZone(hand, 'example.com', [], [rec('ns1.example.com', 'A', 3600, '192.0.2.53')], now), ZoneEditConflict);
  });

  it('a new zone skeleton loads in BIND', async () => {
    await checkzone(skeletonZone('example.com', 1));
  });

  it('serials follow RFC 1982 and date-style numbering', () => {
    assert.equal(nextSerial(7, now), 8);
    assert.equal(nextSerial(2026112701, now), 2026112702);
    assert.equal(nextSerial(2020010100, now), 2026112700);
    assert.equal(nextSerial(2 ** 32 - 1, now), 1);
  });
});
