import assert from 'node:assert/strict';
import { Authority } from '../../src/dns/authority.js';
import { startServer, type RunningServer } from '../../src/dns/server.js';
import { parseZone } from '../../src/dns/zonefile.js';
import { freePort } from '../support/ports.js';
import { exchange, view } from './exchange.js';
import { startBind, startKnot, type ReferenceServer } from './reference-servers.js';
import { ORIGIN, PROBES, RICH_ZONE } from './rich-zone.js';

/**
 * Issue 13: the same crafted queries to the embedded server, BIND 9.18 and Knot 3.2 on one
 * rich zone. Every difference must be one listed here with the RFC that allows it (the
 * README's "Differences from BIND and Knot" says the same).
 */
const ALLOWED: { probe: string; server: 'bind' | 'knot'; reason: string }[] = [
  { probe: 'apex ANY over UDP', server: 'knot', reason: 'RFC 8482 §4.1: any one RRset may answer ANY; Knot picks NS, srvctl (and BIND) SOA' },
  { probe: 'apex ANY over TCP', server: 'knot', reason: 'RFC 8482 §4.1: Knot answers one RRset over TCP too; srvctl (and BIND) send them all over TCP' },
  { probe: 'SRV set of 20 over UDP without EDNS', server: 'bind', reason: 'RFC 2181 §9: a truncated answer may carry what fit (BIND) or nothing (srvctl, Knot); the client retries over TCP either way' },
  { probe: 'SRV set of 20 over TCP', server: 'bind', reason: 'RFC 2782 / RFC 1034 §3.7: target addresses in the additional section are optional; BIND leaves them out of this large answer, srvctl and Knot send them' },
];

describe('differential: srvctl serve, BIND and Knot answer the same queries alike (issue 13)', function () {
  this.timeout(60_000);
  let ours: RunningServer;
  const refs: ReferenceServer[] = [];
  before(async () => {
    ours = await startServer(new Authority(ORIGIN, parseZone(RICH_ZONE, ORIGIN).records), { host: '127.0.0.1', port: 0 });
    refs.push(await startBind(ORIGIN, RICH_ZONE, await freePort()));
    refs.push(await startKnot(ORIGIN, RICH_ZONE, await freePort()));
  });
  after(async () => {
    await ours?.close();
    await Promise.all(refs.map((r) => r.stop()));
  });

  it(`${PROBES.length} probes: no difference but the listed ones`, async () => {
    const unexplained: string[] = [];
    for (const p of PROBES) {
      const mine = view(await exchange(ours.port, p.packet, p.tcp));
      assert.notEqual(mine.reply, 'none', `srvctl did not answer "${p.title}"`);
      for (const ref of refs) {
        const theirs = view(await exchange(ref.port, p.packet, p.tcp));
        assert.notEqual(theirs.reply, 'none', `${ref.name} did not answer "${p.title}"`);
        if (JSON.stringify(mine) === JSON.stringify(theirs)) continue;
        if (ALLOWED.some((a) => a.probe === p.title && a.server === ref.name)) continue;
        unexplained.push(`${p.title} (${ref.name}):\n  srvctl ${JSON.stringify(mine)}\n  ${ref.name} ${JSON.stringify(theirs)}`);
      }
    }
    assert.deepEqual(unexplained, []);
  });

  it('the probes exercise what they claim (referral, wildcard, BADVERS, FORMERR, DO, case)', async () => {
    const get = async (title: string) => view(await exchange(ours.port, PROBES.find((p) => p.title === title)!.packet));
    const ref = await get('delegation: a name below the cut');
    assert.equal(ref.aa, false);
    assert.deepEqual(ref.authority, ['sub.diff.test. 300 IN NS ns.other.net.', 'sub.diff.test. 300 IN NS ns.sub.diff.test.']);
    assert.deepEqual(ref.additional, ['ns.sub.diff.test. 300 IN A 192.0.2.53']);
    assert.deepEqual((await get('wildcard A')).answer, ['x.wild.diff.test. 300 IN A 192.0.2.99']);
    assert.equal((await get('EDNS version 1: BADVERS')).rcode, 16);
    assert.equal((await get('two OPT records: FORMERR')).rcode, 1);
    assert.equal((await get('counts past the end: FORMERR')).rcode, 1);
    assert.deepEqual((await get('DO bit copied')).edns, { version: 0, do: true });
    assert.deepEqual((await get('question case preserved')).question, ['NoDe1.DiFf.TeSt 1 1']);
    const dangling = await get('CNAME to a missing in-zone name');
    assert.equal(dangling.rcode, 3);
    assert.equal((dangling.authority as string[])[0]!.split(' ')[3], 'SOA');
    assert.deepEqual((await get('SRV set of 3 with target addresses')).additional, [
      'node1.diff.test. 300 IN A 192.0.2.11',
      'node1.diff.test. 300 IN AAAA 2001:db8::11',
      'node2.diff.test. 300 IN A 192.0.2.12',
      'node3.diff.test. 300 IN A 192.0.2.13',
    ]);
    assert.deepEqual((await get('TYPE65000')).answer, ['t65000.diff.test. 300 IN TYPE65000 \\# 3 abcdef']);
  });
});
