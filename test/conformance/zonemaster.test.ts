import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, run, startProcess, stop } from '../support/run.js';
import { ORIGIN, RICH_ZONE } from './rich-zone.js';

/**
 * Issue 13: Zonemaster's nameserver tests against `srvctl serve` serving the rich zone, in a
 * network namespace with only loopback (an undelegated test: --ns, and root hints pointing
 * at an address where nothing listens, so nothing leaves the namespace).
 */
describe('Zonemaster nameserver tests against srvctl serve (network namespace)', function () {
  this.timeout(240_000);
  const ns = `srvctl-${process.pid}-zm`;
  const dir = mkdtempSync(join(tmpdir(), 'srvctl-zm-'));
  let server: Awaited<ReturnType<typeof startProcess>> | undefined;
  before(async () => {
    const which = await run('sh', ['-c', 'command -v zonemaster-cli']);
    if (which.code !== 0) throw new Error('zonemaster-cli is not installed: .ci/run must install it');
    const add = await run('ip', ['netns', 'add', ns]);
    if (add.code !== 0) throw new Error(`ip netns add failed: ${add.stderr}`);
    await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    writeFileSync(join(dir, 'zone'), RICH_ZONE);
    writeFileSync(join(dir, 'hints'), '. 3600000 NS a.root.test.\na.root.test. 3600000 A 127.0.0.3\n');
    server = await startProcess('ip', ['netns', 'exec', ns, process.execPath, join(ROOT, 'dist/src/cli.js'), 'serve', join(dir, 'zone'), '--origin', ORIGIN, '--listen', '127.0.0.1:53'], /serving zone/, { timeoutMs: 20_000 });
  });
  after(async () => {
    await stop(server?.child);
    await run('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds nothing at NOTICE or above, and sees case kept, EDNS0 and no recursion', async () => {
    const r = await run('ip', ['netns', 'exec', ns, 'zonemaster-cli', '--test', 'nameserver', '--ns', `ns1.${ORIGIN}/127.0.0.1`, '--hints', join(dir, 'hints'), '--no-ipv6', '--level', 'INFO', '--raw', ORIGIN], { timeoutMs: 200_000 });
    assert.equal(r.code, 0, r.stderr);
    const messages = r.stdout.split('\n').map((l) => l.trim().replace(/^[\d.]+\s+/, '')).filter((l) => /^[A-Z]+\s+[A-Z0-9_]+/.test(l));
    const bad = messages.filter((m) => /^(NOTICE|WARNING|ERROR|CRITICAL)\b/.test(m));
    assert.deepEqual(bad, [], r.stdout);
    const tags = new Set(messages.map((m) => m.split(/\s+/)[1]));
    for (const t of ['QNAME_CASE_SENSITIVE', 'EDNS0_SUPPORT', 'NO_RECURSOR', 'CASE_QUERIES_RESULTS_OK', 'NO_UPWARD_REFERRAL']) assert.ok(tags.has(t), `no ${t} in:\n${r.stdout}`);
  });
});
