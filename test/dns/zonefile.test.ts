import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextSerial } from '../../src/dns/serial.js';
import { editZone, skeletonZone, ZoneEditConflict } from '../../src/dns/zoneedit.js';
import { parseZone, ZoneParseError } from '../../src/dns/zonefile.js';
import { isSubdomain, labelsToName, nameToLabels, normalizeName } from '../../src/records/name.js';
import { rec, recordText, txtOctets, txtRdataFromOctets } from '../../src/records/record.js';
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

  it('keeps the meaning of records that inherited the last stated TTL from a deleted line (RFC 1035 5.1)', async () => {
    const text = '@ 3600 IN SOA a. b. 7 2 3 4 5\n@ 3600 IN NS ns.example.net.\nnode1 60 IN A 10.0.0.1\nnode2 IN A 10.0.0.2\n  IN TXT "x"\nnode3 IN A 10.0.0.3\n';
    const before = parseZone(text, 'example.com').records.filter((r) => r.name !== 'node1.example.com');
    const out = editZone(text, 'example.com', [rec('node1.example.com', 'A', 60, '10.0.0.1')], [], now);
    const after = parseZone(out, 'example.com').records;
    assert.deepEqual(after.filter((r) => r.type !== 'SOA').map(recordText), before.filter((r) => r.type !== 'SOA').map(recordText));
    assert.deepEqual(after.filter((r) => r.name.startsWith('node')).map((r) => r.ttl), [60, 60, 60]);
    await checkzone(out);
  });

  it('keeps CRLF line endings, for the lines it writes too', () => {
    const text = '$TTL 300\r\n@ IN SOA a. b. 7 2 3 4 5\r\n@ IN NS ns.example.net.\r\nnode1 IN A 10.0.0.1\r\n';
    const out = editZone(text, 'example.com', [rec('node1.example.com', 'A', 300, '10.0.0.1')], [rec('node2.example.com', 'A', 300, '10.0.0.2')], now);
    assert.equal(out.split('\n').filter((l) => l !== '' && !l.endsWith('\r')).length, 0, JSON.stringify(out));
    assert.deepEqual(parseZone(out, 'example.com').records.map((r) => r.name), ['example.com', 'example.com', 'node2.example.com']);
  });

  it('reads escapes exactly and gives one canonical form per record: typed, or RFC 3597 for the rest', () => {
    const z = parseZone(
      [
        '$ORIGIN example.com.',
        '$TTL 300',
        '@ IN SOA ns1 hostmaster 1 1h 600 1w 120',
        'a\\.b IN A 10.0.0.1',
        '\\200X IN A 10.0.0.2',
        'Ünï IN A 10.0.0.3',
        't IN TXT "a\\255b" "q\\"\\\\" plain "\\065"',
        'h IN HINFO "PC" "Linux"',
        'tl IN TLSA 3 1 1 ABCDEF01',
        'sv IN SVCB 1 . alpn=h2,h3 port=8443',
        'd IN DNAME target',
        'x IN TYPE65000 \\# 3 ABCDEF',
        'y IN TYPE1 \\# 4 0a000001',
        'c IN CAA 0 issue "letsencrypt.org"',
        's IN SRV 0 0 2380 n\\.1',
      ].join('\n'),
      'example.com',
    );
    const by = (name: string) => z.records.find((r) => r.name === name)!;
    assert.equal(by('a\\.b.example.com').rdata, '10.0.0.1');
    assert.ok(by('\\200x.example.com'), 'octet escapes kept, ASCII lower-cased');
    assert.ok(by('\\195\\156n\\195\\175.example.com'), 'non-ASCII owner as its UTF-8 octets');
    assert.equal(by('t.example.com').rdata, '"a\\255b" "q\\"\\\\" "plain" "A"');
    assert.deepEqual(txtOctets(by('t.example.com').rdata).map((b) => [...b]), [[0x61, 0xff, 0x62], [0x71, 0x22, 0x5c], [...Buffer.from('plain')], [0x41]]);
    assert.equal(by('h.example.com').type, 'HINFO');
    assert.equal(by('h.example.com').rdata, '\\# 9 025043054c696e7578');
    assert.equal(by('tl.example.com').rdata, '\\# 7 030101abcdef01');
    assert.equal(by('sv.example.com').rdata, '\\# 19 000100000100060268320268330003000220fb');
    assert.equal(by('d.example.com').rdata, '\\# 20 06746172676574076578616d706c6503636f6d00');
    assert.equal(by('x.example.com').rdata, '\\# 3 abcdef');
    assert.deepEqual([by('y.example.com').type, by('y.example.com').rdata], ['A', '10.0.0.1']);
    assert.equal(by('c.example.com').rdata, '0 issue "letsencrypt.org"');
    assert.equal(by('s.example.com').rdata, '0 0 2380 n\\.1.example.com.');
    assert.deepEqual(nameToLabels('n\\.1.example.com.').map((b) => b.toString()), ['n.1', 'example', 'com']);
    assert.equal(isSubdomain('a\\.example.test', 'example.test'), false, 'an escaped dot is no label boundary');
    assert.equal(isSubdomain('a\\\\.example.test', 'example.test'), true, 'an escaped backslash before a dot is');
    assert.equal(normalizeName('NoDe\\065.Example.COM.'), 'nodea.example.com');
    assert.equal(labelsToName([Buffer.from('A.b'), Buffer.from([0xff, 0x20])]), 'A\\.b.\\255\\032');
    assert.equal(txtRdataFromOctets([Buffer.from([0, 0x22, 0x7e, 0x7f])]), '"\\000\\"~\\127"');
    assert.throws(() => parseZone('$TTL 1\n@ IN SOA a. b. 1 2 3 4 5\nx IN BOGUS 1\n', 'example.com'), ZoneParseError);
  });
});
