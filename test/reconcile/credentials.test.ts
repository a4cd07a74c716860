import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from '../../src/dns/transport.js';
import type { Mode } from '../../src/reconcile/types.js';
import { Bind, newKey, type BindKey } from '../support/bind.js';
import { Knot } from '../support/knot.js';
import { freePort } from '../support/ports.js';
import { run } from './harness.js';

/**
 * A wrong TSIG secret, an unknown key name, a key without the update right and a clock
 * skewed past the fudge: plan, sync and drift each fail naming the cause, against BIND
 * and Knot, in-process through the core, and the zone is left exactly as it was.
 */
const ZONE = 'example.com';
const ZONE_TEXT = `$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 7 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n`;
const FULL = newKey('srvctl', true, true);
const XFR_ONLY = newKey('reader', false, true);

function manifest(port: number, keyName: string): string {
  return `version: 1
cluster: creds
domain: coreos.example.com
provider: { type: rfc2136, zone: example.com, server: 127.0.0.1, port: ${port}, tsig: { name: ${keyName}, secretEnv: SECRET } }
members:
  - { name: node1, host: node1.coreos.example.com, ipv4: 10.0.0.1 }
  - { name: node2, host: node2.coreos.example.com, ipv4: 10.0.0.2 }
  - { name: node3, host: node3.coreos.example.com, ipv4: 10.0.0.3 }
verify: { wait: 5s, timeout: 1s, nameservers: ["127.0.0.1:${port}"] }
`;
}

interface Case {
  label: string;
  key: BindKey;
  skewSeconds?: number;
  cause: RegExp;
}

const CASES: Case[] = [
  { label: 'a wrong TSIG secret', key: { ...FULL, secret: randomBytes(32).toString('base64') }, cause: /BADSIG.*the secret does not match/ },
  { label: 'an unknown key name', key: { ...FULL, name: 'nosuchkey' }, cause: /does not know key nosuchkey \(BADKEY/ },
  { label: 'a key without the update right', key: XFR_ONLY, cause: /key reader.*lacks the update right/ },
  { label: 'a clock skewed past the fudge', key: FULL, skewSeconds: 600, cause: /BADTIME.*fudge/ },
];

for (const kind of ['BIND', 'Knot'] as const) {
  describe(`credential failures through the core against ${kind}`, function () {
    this.timeout(60_000);
    let server: Bind | Knot;
    let dir: string;
    const serial = async () => (await query({ host: '127.0.0.1', port: server.port }, ZONE, 'SOA', { timeoutMs: 1000, retries: 2 })).answers.find((r) => r.type === 'SOA')!.rdata;
    const srv = async () => (await query({ host: '127.0.0.1', port: server.port }, '_etcd-server._tcp.coreos.example.com', 'SRV', { timeoutMs: 1000, retries: 2 })).rcode;

    before(async () => {
      const port = await freePort();
      server = kind === 'BIND' ? new Bind({ zone: ZONE, zoneText: ZONE_TEXT, port, keys: [FULL, XFR_ONLY] }) : new Knot({ zone: ZONE, zoneText: ZONE_TEXT, port, keys: [FULL, XFR_ONLY] });
      await server.start();
      dir = mkdtempSync(join(tmpdir(), 'srvctl-creds-'));
    });
    after(async () => {
      await server?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('the right key passes preflight, proving the update right without changing the zone (the failures below can be told apart)', async () => {
      const file = join(dir, 'good.yaml');
      writeFileSync(file, manifest(server.port, FULL.name));
      const before = await serial();
      const r = await run({ mode: 'plan', file }, { env: { SECRET: FULL.secret } });
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      assert.equal(r.outcome, 'pending');
      assert.equal(r.preflight?.writeRight, true);
      assert.deepEqual(r.preflight?.checks.map((c) => c.check), ['TSIG key', 'update right']);
      assert.equal(await serial(), before, 'the no-op UPDATE left the serial as it was');
      assert.equal(await srv(), 'NXDOMAIN', 'and the probe record is gone');
    });

    for (const c of CASES) {
      for (const mode of ['plan', 'sync', 'drift'] as Mode[]) {
        it(`${c.label}: ${mode} fails naming the cause, nothing written`, async () => {
          const file = join(dir, `${mode}.yaml`);
          writeFileSync(file, manifest(server.port, c.key.name));
          const before = await serial();
          const r = await run({ mode, file, yes: true, format: 'env' }, { env: { SECRET: c.key.secret }, skewSeconds: c.skewSeconds });
          assert.ok(r.error, `${mode} did not fail: outcome ${r.outcome}`);
          assert.equal(r.error.code, 'provider');
          assert.match(r.error.message, c.cause);
          assert.equal(r.outcome, 'failed');
          assert.deepEqual(r.writes, []);
          assert.equal(r.drift, undefined, 'drift reports a failure, not "no drift"');
          assert.equal(await serial(), before);
          assert.equal(await srv(), 'NXDOMAIN');
        });
      }
    }
  });
}
