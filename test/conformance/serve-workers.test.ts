import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeQuery, TYPE } from '../../src/dns/codec.js';
import { freePort } from '../support/ports.js';
import { CLI, startProcess, stop } from '../support/run.js';
import { exchange } from './exchange.js';

/** `srvctl serve --workers 2`: both workers answer on the shared port, and SIGTERM stops them all. */
describe('srvctl serve --workers', function () {
  this.timeout(30_000);
  it('answers UDP and TCP from worker processes and stops every one of them on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'srvctl-workers-'));
    const zone = join(dir, 'w.zone');
    writeFileSync(zone, '$ORIGIN w.test.\n$TTL 60\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 127.0.0.1\n_etcd-server-ssl._tcp IN SRV 0 0 2380 n1\nn1 IN A 10.0.0.1\n');
    const port = await freePort();
    const { child, output } = await startProcess(process.execPath, [CLI, 'serve', zone, '--origin', 'w.test', '--listen', `127.0.0.1:${port}`, '--workers', '2'], /serving zone[^]*serving zone/, { timeoutMs: 20_000 });
    try {
      const pids = /pids (\d+), (\d+)/.exec(output())!.slice(1).map(Number);
      assert.equal(pids.length, 2);
      for (let i = 0; i < 20; i++) {
        const r = await exchange(port, encodeQuery(i, '_etcd-server-ssl._tcp.w.test', TYPE.SRV!, { rd: false }), i % 2 === 1);
        assert.ok(r && r.readUInt16BE(6) === 1, `query ${i} unanswered`);
      }
      assert.equal(await stop(child, 10_000), 0);
      for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} outlived the primary`);
    } finally {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
