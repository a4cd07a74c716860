import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Bind, newKey } from '../support/bind.js';
import { FakeCloudflare } from '../support/cloudflare/fake.js';
import { PowerDns } from '../support/pdns.js';
import { freePort } from '../support/ports.js';
import { cliInProcess } from '../commands/inprocess.js';
import { scratch, srvctl } from '../support/run.js';

/**
 * One walk over every error path of every provider, at every verbosity and with --json:
 * no secret value may appear on stdout, stderr, in JSON or in a written file.
 */
const MEMBERS = `members:
  - { name: node1, host: node1.coreos.example.com, ipv4: 10.0.0.1 }
  - { name: node2, host: node2.coreos.example.com, ipv4: 10.0.0.2 }
  - { name: node3, host: node3.coreos.example.com, ipv4: 10.0.0.3 }
`;

describe('hardening: secrets never leave the process', function () {
  this.timeout(240_000);

  it('TSIG secrets, PowerDNS keys and Cloudflare tokens appear nowhere, on any path', async () => {
    const { dir, cleanup } = await scratch();
    const key = newKey('srvctl');
    const readonly = newKey('readonly', false, true);
    const bind = new Bind({ zone: 'example.com', zoneText: '$TTL 300\n@ IN SOA ns1.example.com. h.example.com. 1 3600 600 604800 300\n@ IN NS ns1.example.com.\nns1.example.com. IN A 127.0.0.1\n', port: await freePort(), keys: [key, readonly] });
    const pdns = new PowerDns();
    const cf = new FakeCloudflare();
    const silent: Server = createServer(() => undefined); // accepts and never answers: timeouts
    const cfToken = 'cf-secret-token-0f1e2d3c4b5a';
    try {
      await bind.start();
      await pdns.start('example.com', []);
      await cf.start();
      cf.addZone('example.com');
      cf.tokens.set(cfToken, 'edit');
      cf.tokens.set('cf-readonly-secret-77', 'read');
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const silentPort = (silent.address() as { port: number }).port;

      const secrets = [key.secret, readonly.secret, Buffer.from(key.secret, 'base64').toString('hex'), pdns.apiKey, cfToken, 'cf-readonly-secret-77', 'wrong-pdns-key-secret', 'wrong-cf-token-secret'];
      const manifests = {
        rfc: (port: number, tsig: string) => `version: 1\ncluster: c\ndomain: coreos.example.com\nprovider: { type: rfc2136, zone: example.com, server: 127.0.0.1, port: ${port}, tsig: ${tsig} }\n${MEMBERS}verify: { wait: 2s, timeout: 300ms, nameservers: ["127.0.0.1:${bind.port}"] }\n`,
        pdns: (url: string) => `version: 1\ncluster: c\ndomain: coreos.example.com\nprovider: { type: powerdns, zone: example.com, url: "${url}", apiKeyEnv: PDNS_KEY }\n${MEMBERS}verify: { wait: 2s, timeout: 300ms, nameservers: ["127.0.0.1:${pdns.dnsPort}"] }\n`,
        cf: () => `version: 1\ncluster: c\ndomain: coreos.example.com\nprovider: { type: cloudflare, zone: example.com, baseUrl: "${cf.baseUrl}" }\n${MEMBERS}`,
      };
      const keyFile = join(dir, 'tsig.key');
      writeFileSync(keyFile, `key "srvctl" { algorithm hmac-sha256; secret "${key.secret}"; };\n`);
      chmodSync(keyFile, 0o644);

      const cases: { name: string; manifest: string; env: Record<string, string>; args?: string[]; before?: () => void }[] = [
        { name: 'rfc2136 success', manifest: manifests.rfc(bind.port, '{ name: srvctl, secretEnv: TSIG }'), env: { TSIG: key.secret } },
        { name: 'rfc2136 wrong secret (BADSIG)', manifest: manifests.rfc(bind.port, '{ name: srvctl, secretEnv: TSIG }'), env: { TSIG: newKey('x').secret } },
        { name: 'rfc2136 no update rights', manifest: manifests.rfc(bind.port, '{ name: readonly, secretEnv: TSIG }'), env: { TSIG: readonly.secret } },
        { name: 'rfc2136 secret file readable by others', manifest: manifests.rfc(bind.port, `{ name: srvctl, secretFile: ${keyFile} }`), env: {} },
        { name: 'rfc2136 timeout', manifest: manifests.rfc(silentPort, '{ name: srvctl, secretEnv: TSIG }'), env: { TSIG: key.secret, SRVCTL_TCP_TIMEOUT_MS: '300' } },
        { name: 'rfc2136 not a base64 secret', manifest: manifests.rfc(bind.port, '{ name: srvctl, secretEnv: TSIG }'), env: { TSIG: `${key.secret}!!` } },
        { name: 'powerdns success', manifest: manifests.pdns(pdns.url), env: { PDNS_KEY: pdns.apiKey } },
        { name: 'powerdns 401', manifest: manifests.pdns(pdns.url), env: { PDNS_KEY: 'wrong-pdns-key-secret' } },
        { name: 'powerdns timeout', manifest: manifests.pdns(`http://127.0.0.1:${silentPort}`), env: { PDNS_KEY: pdns.apiKey, SRVCTL_HTTP_TIMEOUT_MS: '300' } },
        { name: 'cloudflare success', manifest: manifests.cf(), env: { CLOUDFLARE_API_TOKEN: cfToken }, args: ['--no-verify'] },
        { name: 'cloudflare wrong token (403)', manifest: manifests.cf(), env: { CLOUDFLARE_API_TOKEN: 'wrong-cf-token-secret' } },
        { name: 'cloudflare read-only token', manifest: manifests.cf(), env: { CLOUDFLARE_API_TOKEN: 'cf-readonly-secret-77' }, before: () => (cf.records = []) },
        { name: 'cloudflare 429 past the bound', manifest: manifests.cf(), env: { CLOUDFLARE_API_TOKEN: cfToken }, before: () => (cf.injections = [{ when: () => true, fault: '429', retryAfter: 600, times: 1 }]) },
        { name: 'cloudflare timeout', manifest: manifests.cf(), env: { CLOUDFLARE_API_TOKEN: cfToken, SRVCTL_HTTP_TIMEOUT_MS: '300' }, before: () => (cf.injections = [{ when: () => true, fault: 'timeout', times: 4 }]) },
        { name: 'cloudflare 500 on write', manifest: manifests.cf(), env: { CLOUDFLARE_API_TOKEN: cfToken }, before: () => ((cf.records = []), (cf.injections = [{ when: (m) => m === 'POST', fault: '500', times: 2 }])) },
      ];

      // Each case runs plan, sync and drift at --verbose --json in this process (debug lines
      // on stderr, the JSON document on stdout, error text on stderr: what cli.ts prints,
      // through the same command functions), and sync once more as the real CLI at --debug
      // as text (cli.ts's own error path and the tables a terminal gets). The three
      // providers' cases run side by side; within a provider in order, as some cases set up
      // the next's state.
      let n = 0;
      const walk = async (c: (typeof cases)[number]) => {
        c.before?.();
        const out = join(dir, `out-${n++}`);
        const file = join(dir, `m-${n}.yaml`);
        writeFileSync(file, c.manifest);
        const outputs: string[] = [];
        const runs: [string[], string[], 'in-process' | 'cli'][] = [
          [['plan', file], ['--verbose', '--json'], 'in-process'],
          [['sync', file, '--yes', '--out', out, ...(c.args ?? [])], ['--verbose', '--json'], 'in-process'],
          [['drift', file, '--prom-file', join(out, 'drift.prom')], ['--verbose', '--json'], 'in-process'],
          [['sync', file, '--yes', ...(c.args ?? [])], ['--debug'], 'cli'],
        ];
        for (const [cmd, mode, how] of runs) {
          const r = how === 'cli' ? await srvctl([...cmd, ...mode], { env: c.env }) : await cliInProcess([...cmd, ...mode], { env: c.env });
          outputs.push(r.stdout, r.stderr);
          if (mode.includes('--json')) assert.doesNotThrow(() => JSON.parse(r.stdout), `${c.name} ${cmd[0]} ${mode}: stdout is one JSON document`);
        }
        if (existsSync(out)) for (const f of readdirSync(out)) if (statSync(join(out, f)).isFile()) outputs.push(readFileSync(join(out, f), 'utf8'));
        for (const o of outputs) for (const s of secrets) assert.ok(!o.includes(s), `${c.name}: a secret appeared:\n${o.slice(0, 400)}`);
      };
      const byProvider = ['rfc2136', 'powerdns', 'cloudflare'].map((p) => cases.filter((c) => c.name.startsWith(p)));
      assert.equal(byProvider.flat().length, cases.length, 'every case belongs to a provider');
      await Promise.all(
        byProvider.map(async (group) => {
          for (const c of group) await walk(c);
        }),
      );
      assert.deepEqual(cf.violations, []);
    } finally {
      silent.close();
      await cf.stop();
      await pdns.dispose();
      await bind.dispose();
      await cleanup();
    }
  });
});
