import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Authority } from '../../src/dns/authority.js';
import { startServer, type RunningServer } from '../../src/dns/server.js';
import { parseZoneRecords } from '../../src/dns/zonefile.js';
import { parseManifest, requireManifest } from '../../src/manifest/load.js';
import { query } from '../../src/dns/transport.js';
import { create as zoneFileProvider, withZoneFileSnapshot } from '../../providers/zonefile.js';
import { reconcile } from '../../src/reconcile/pipeline.js';
import { sharedRunDeps } from '../../src/drift/run-deps.js';
import { cliInProcess } from '../commands/inprocess.js';
import { coreDeps } from '../reconcile/harness.js';
import { scratch } from '../support/run.js';

const ZONE_HEAD = '$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 604800 300\n@ IN NS ns1\nns1 IN A 127.0.0.1\n';

/** Records as a hand-made setup has them: no srvctl markers, so drift reports each as foreign. */
function clusterRecords(c: number): string {
  return [1, 2, 3].flatMap((m) => [`_etcd-server._tcp.c${c}.example.com. 300 IN SRV 0 0 2380 n${m}.c${c}.example.com.`, `_etcd-client._tcp.c${c}.example.com. 300 IN SRV 0 0 2379 n${m}.c${c}.example.com.`, `n${m}.c${c}.example.com. 300 IN A 10.0.${c}.${m}`]).join('\n');
}

function manifestFor(c: number, zone: string, verify: string): string {
  const members = [1, 2, 3].map((m) => `  - { name: n${m}, host: n${m}.c${c}.example.com, ipv4: 10.0.${c}.${m} }`).join('\n');
  return `version: 1\ncluster: c${c}\ndomain: c${c}.example.com\nprovider: { type: zonefile, zone: example.com, path: ${zone} }\nmembers:\n${members}\nverify: ${verify}\n`;
}

describe('drift: each manifest parsed once, checked concurrently, reported in order (in-process)', function () {
  this.timeout(30_000);
  let dir: string;
  let cleanup: () => Promise<void>;
  let zone: string;
  let server: RunningServer;
  let silent: Socket;
  const COUNT = 7;

  before(async () => {
    ({ dir, cleanup } = await scratch());
    zone = join(dir, 'example.com.zone');
    const text = `${ZONE_HEAD}${Array.from({ length: COUNT }, (_, c) => clusterRecords(c)).join('\n')}\n`;
    writeFileSync(zone, text);
    server = await startServer(new Authority('example.com', parseZoneRecords(text, 'example.com').records), { host: '127.0.0.1', port: 0 });
    // A nameserver that never answers: the check naming it finishes long after the others.
    silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  });
  after(async () => {
    silent.close();
    await server.close();
    await cleanup();
  });

  it('the manifest parsed by the directory walk gives the report the file gives, without the file being read again', async () => {
    const file = join(dir, 'one.yaml');
    writeFileSync(file, manifestFor(0, zone, `{ nameservers: ["127.0.0.1:${server.port}"] }`));
    const fromFile = await reconcile({ mode: 'drift', file }, coreDeps());
    const parsed = parseManifest(file, readFileSync(file, 'utf8'));
    assert.ok(parsed.manifest);
    const deps = coreDeps();
    const fromParsed = await reconcile(
      { mode: 'drift', file, loaded: { manifest: parsed.manifest, warnings: parsed.findings } },
      {
        ...deps,
        readText: async (f) => {
          throw new Error(`read again: ${f}`);
        },
      },
    );
    assert.equal(fromFile.error, undefined);
    // Not a vacuous comparison: the hand-made records are foreign, and DNS serves them.
    assert.ok((fromFile.drift ?? []).some((f) => f.kind === 'provider'));
    assert.deepEqual(fromParsed, fromFile);
  });

  it('a nameserver host named by several manifests is looked up once per run, and each check asks it', async () => {
    const asked: string[] = [];
    const deps = sharedRunDeps({
      ...coreDeps(),
      lookupHost: async (host) => {
        asked.push(host);
        return ['127.0.0.1'];
      },
    });
    const reports = await Promise.all(
      [2, 3].map((c) => {
        const file = join(dir, `by-name-${c}.yaml`);
        const manifest = requireManifest(file, manifestFor(c, zone, `{ nameservers: ["ns.test:${server.port}"] }`)).manifest;
        return reconcile({ mode: 'drift', file, loaded: { manifest, warnings: [] } }, deps);
      }),
    );
    assert.deepEqual(asked, ['ns.test']);
    for (const r of reports) {
      assert.equal(r.error, undefined);
      assert.ok(!(r.drift ?? []).some((f) => f.kind === 'dns'), JSON.stringify(r.drift));
    }
  });

  it("a provider's nameservers are asked once per run for manifests in one zone at one provider, and each check asks them", async () => {
    let asked = 0;
    const base = coreDeps();
    const deps = sharedRunDeps({
      ...base,
      // A zone file provider dressed as a remote one: its NS set costs a lookup per ask.
      openProvider: async (m) => {
        const real = await base.openProvider(m);
        return new Proxy(real, {
          get(target, key) {
            if (key === 'type') return 'remote';
            if (key === 'nameservers')
              return async () => {
                asked++;
                return [{ name: 'ns1.example.com', host: '127.0.0.1', port: server.port }];
              };
            const v = Reflect.get(target, key) as unknown;
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
          },
        });
      },
    });
    const reports = await Promise.all(
      [3, 4, 5].map((c) => {
        const file = join(dir, `ns-set-${c}.yaml`);
        const manifest = requireManifest(file, manifestFor(c, zone, '{}')).manifest;
        return reconcile({ mode: 'drift', file, loaded: { manifest, warnings: [] } }, deps);
      }),
    );
    assert.equal(asked, 1);
    for (const r of reports) {
      assert.equal(r.error, undefined);
      assert.ok((r.drift ?? []).some((f) => f.kind === 'provider'));
      assert.ok(!(r.drift ?? []).some((f) => f.kind === 'dns'), JSON.stringify(r.drift));
    }
  });

  it('inside a snapshot the zone file providers of one zone share one embedded server, which answers until the snapshot ends', async () => {
    const manifests = [0, 1].map((c) => requireManifest(join(dir, `m${c}.yaml`), manifestFor(c, zone, '{}')).manifest);
    const ctx = { env: {}, debug: () => {}, now: () => new Date() };
    let port = 0;
    await withZoneFileSnapshot(async () => {
      const [a, b] = await Promise.all(manifests.map((m) => zoneFileProvider(m, ctx)));
      const [nsA] = await a!.nameservers();
      const [nsB] = await b!.nameservers();
      assert.deepEqual(nsB, nsA);
      port = nsA!.port;
      // One check closing its provider does not take the server from the others.
      await a!.close?.();
      const answer = await query({ host: '127.0.0.1', port }, 'n1.c1.example.com', 'A', { timeoutMs: 1000, retries: 1 });
      assert.deepEqual(answer.answers.map((r) => r.rdata), ['10.0.1.1']);
      await b!.close?.();
    });
    // Closed with the snapshot: nothing answers this zone there any more (another test may bind the freed port, never with this zone).
    const after = await query({ host: '127.0.0.1', port }, 'n1.c1.example.com', 'A', { timeoutMs: 300, retries: 0 }).catch((e: Error) => e);
    assert.ok(after instanceof Error || !after.answers.some((r) => r.rdata === '10.0.1.1'), 'the shared server still answers after the snapshot');
  });

  it('--concurrency 3: results in the order the walk found them, a slow check and a failing one each reported by name', async () => {
    const clusters = join(dir, 'clusters');
    mkdirSync(clusters);
    const broken = join(dir, 'not-a-zone-file');
    mkdirSync(broken);
    for (let c = 0; c < COUNT; c++) {
      const verify = c === 1 ? `{ nameservers: ["127.0.0.1:${(silent.address() as { port: number }).port}"], timeout: 300ms, retries: 0 }` : `{ nameservers: ["127.0.0.1:${server.port}"] }`;
      // c4's zone file is a directory: its check fails mid-run, after the walk accepted the manifest.
      writeFileSync(join(clusters, `c${c}.yaml`), manifestFor(c, c === 4 ? broken : zone, verify));
    }
    const r = await cliInProcess(['drift', clusters, '--json', '--concurrency', '3']);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as { failed: number; clusters: { cluster: string; file: string; ok: boolean; errorCode: string | null; findings: { kind: string; nameserver?: string }[] }[] };
    assert.deepEqual(
      report.clusters.map((c) => c.cluster),
      Array.from({ length: COUNT }, (_, c) => `c${c}`),
    );
    assert.deepEqual(
      report.clusters.map((c) => c.file),
      Array.from({ length: COUNT }, (_, c) => join(clusters, `c${c}.yaml`)),
    );
    assert.equal(report.failed, 1);
    const c4 = report.clusters[4]!;
    assert.equal(c4.ok, false);
    assert.notEqual(c4.errorCode, null);
    // The silent nameserver is a finding of c1 alone, not a failure of the run.
    assert.ok(report.clusters[1]!.findings.some((f) => f.kind === 'dns' && f.nameserver?.includes(String((silent.address() as { port: number }).port))));
    for (const c of report.clusters.filter((_, i) => i !== 1 && i !== 4)) {
      assert.equal(c.ok, true);
      assert.ok(!c.findings.some((f) => f.kind === 'dns'), JSON.stringify(c.findings));
    }
  });
});
