import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliInProcess } from '../commands/inprocess.js';
import { scratch } from '../support/run.js';

/** Issue 16: drift over a directory flags two manifests that claim the same SRV name. */
const manifest = (cluster: string, prefix: string) => `version: 1
cluster: ${cluster}
domain: coreos.example.com
provider: { type: zonefile, zone: example.com, path: ./example.com.zone }
members:
  - { name: ${prefix}1, host: ${prefix}1.coreos.example.com, ipv4: 10.0.1.1 }
`;

describe('drift across manifests: overlaps reach the findings and the exit code', () => {
  it('two manifests on one discovery domain: each is told (kind overlap); one alone: no overlap', async () => {
    const { dir, cleanup } = await scratch();
    try {
      writeFileSync(join(dir, 'example.com.zone'), '$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 604800 300\n@ IN NS ns1\nns1 IN A 127.0.0.1\n');
      writeFileSync(join(dir, 'a.yaml'), manifest('alpha', 'a'));
      const alone = await cliInProcess(['drift', dir, '--json']);
      const aloneDoc = JSON.parse(alone.stdout) as { clusters: { findings: { kind: string }[] }[] };
      assert.ok(aloneDoc.clusters.every((c) => c.findings.every((f) => f.kind !== 'overlap')), alone.stdout);

      writeFileSync(join(dir, 'b.yaml'), manifest('beta', 'b'));
      const r = await cliInProcess(['drift', dir, '--json']);
      const doc = JSON.parse(r.stdout) as { drift: boolean; clusters: { cluster: string; findings: { kind: string; record?: string; message: string }[] }[] };
      assert.equal(r.code, 2, r.stdout + r.stderr); // drifting (nothing synced yet, and the overlap), no check failed
      for (const name of ['alpha', 'beta']) {
        const c = doc.clusters.find((x) => x.cluster === name)!;
        const o = c.findings.filter((f) => f.kind === 'overlap');
        assert.ok(o.some((f) => f.record === '_etcd-server._tcp.coreos.example.com'), `${name}: ${JSON.stringify(c.findings)}`);
      }
    } finally {
      await cleanup();
    }
  });
});
