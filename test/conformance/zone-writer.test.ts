import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, scratch, srvctl } from '../support/run.js';

/**
 * Issue 13, the zone writer: every foreign record keeps its meaning across syncs. BIND's own
 * canonical dump (named-compilezone) of the zone before and after must differ only in
 * srvctl's records and the SOA serial, for a zone without $TTL (records inherit the last
 * stated TTL, RFC 1035 5.1), with CRLF line endings, escapes and types srvctl only carries.
 */
const ZONE = [
  '$ORIGIN example.com.',
  '@ 3600 IN SOA ns1 hostmaster 2026010101 3600 600 604800 300',
  '  IN NS ns1',
  'ns1 IN A 192.0.2.53',
  'txt IN TXT "caf\\195\\169" "\\255" "a\\"b"',
  'hinfo IN HINFO "PC" "Linux"',
  'tlsa IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  'odd\\.label IN A 192.0.2.7',
  'caa IN CAA 0 issue "letsencrypt.org"',
  'x65000 IN TYPE65000 \\# 3 abcdef',
  '',
].join('\r\n');

const MANIFEST = (members: number) => `version: 1
cluster: prod-etcd
ttl: 120
domain: coreos.example.com
provider: { type: zonefile, zone: example.com, path: ./example.com.zone }
members:
${[1, 2, 3].slice(0, members).map((n) => `  - { name: node${n}, host: node${n}.coreos.example.com, ipv4: 10.0.0.${n} }`).join('\n')}
`;

/** named-compilezone's canonical dump, less the SOA and every record at a name srvctl manages. */
async function foreignDump(file: string): Promise<string[]> {
  const r = await run('named-compilezone', ['-q', '-i', 'none', '-k', 'ignore', '-s', 'full', '-o', '-', 'example.com', file]);
  assert.equal(r.code, 0, r.stderr || r.stdout);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() && !/\sSOA\s/.test(l) && !/coreos\.example\.com\.\s/.test(l))
    .sort();
}

describe('the zone writer keeps every foreign record\'s meaning (named-compilezone before and after)', function () {
  this.timeout(60_000);

  it('no $TTL, CRLF, escapes, opaque types, and foreign lines inheriting the TTL of a line srvctl deletes', async () => {
    const { dir, cleanup } = await scratch();
    try {
      const zone = join(dir, 'example.com.zone');
      const manifest = join(dir, 'cluster.yaml');
      writeFileSync(zone, ZONE);
      writeFileSync(manifest, MANIFEST(3));
      assert.equal((await srvctl(['sync', manifest, '--yes', '--no-verify'])).code, 0);
      // A hand edit after srvctl's block: these lines state no TTL, so they inherit the TTL
      // of the line before them, which is one of srvctl's (RFC 1035 5.1).
      writeFileSync(zone, `${readFileSync(zone, 'utf8')}late IN A 192.0.2.99\r\nlate IN TXT "inherits"\r\n`);
      const before = await foreignDump(zone);
      assert.ok(before.some((l) => /^late\.example\.com\.\s+120\s/.test(l)), `the hand edit inherits 120: ${before.join('; ')}`);

      // Shrinking the cluster deletes node3's lines; destroy then deletes srvctl's whole block,
      // so "late" would fall back to the 3600 of the foreign line above it if the writer did
      // not write the inherited TTL (120) onto it.
      writeFileSync(manifest, MANIFEST(2));
      const shrink = await srvctl(['sync', manifest, '--yes', '--no-verify']);
      assert.equal(shrink.code, 0, shrink.stderr);
      assert.ok(!readFileSync(zone, 'utf8').includes('node3'), 'node3 is gone');
      assert.deepEqual(await foreignDump(zone), before, 'after the shrink: every foreign record keeps owner, TTL, class and data');
      const r = await srvctl(['destroy', manifest, '--yes', '--no-verify']);
      assert.equal(r.code, 0, r.stderr);
      const text = readFileSync(zone, 'utf8');
      assert.ok(!text.includes('heritage=srvctl'), 'destroy left no marker');
      assert.deepEqual(await foreignDump(zone), before, 'every foreign record keeps owner, TTL, class and data');
      assert.ok(!/[^\r]\n/.test(text), 'every line still ends in CRLF');
    } finally {
      await cleanup();
    }
  });
});
