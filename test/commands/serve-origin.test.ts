import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dig } from '../support/dig.js';
import { freePort } from '../support/ports.js';
import { TEST_ZONE } from '../support/zone.js';
import { CLI, scratch, startProcess, stop } from '../support/run.js';

describe('srvctl serve ZONEFILE', () => {
  it("serves the zone the file's own $ORIGIN names, whatever the file is called", async () => {
    const { dir, cleanup } = await scratch();
    const port = await freePort();
    const file = join(dir, 'copy.zone');
    writeFileSync(file, TEST_ZONE); // starts with $ORIGIN example.com.
    const { child, output } = await startProcess(process.execPath, [CLI, 'serve', file, '--listen', `127.0.0.1:${port}`, '--json'], /serving zone/);
    try {
      assert.match(output(), /serving zone example\.com from /);
      const soa = await dig('127.0.0.1', port, 'example.com', 'SOA');
      assert.equal(soa.status, 'NOERROR');
      assert.ok(soa.flags.includes('aa'));
      const srv = await dig('127.0.0.1', port, '_etcd-server._tcp.coreos.example.com', 'SRV');
      assert.equal(srv.answers.length, 3);
      const outside = await dig('127.0.0.1', port, 'copy', 'SOA');
      assert.equal(outside.status, 'REFUSED', 'the file name is not a zone here');
    } finally {
      assert.equal(await stop(child), 0);
      await cleanup();
    }
  });
});
