import assert from 'node:assert/strict';
import { Bind, newKey, type BindKey } from '../support/bind.js';
import { freePort } from '../support/ports.js';
import { run } from '../support/run.js';
import { clusterYaml, manifestFrom, planInProcess, syncInProcess, testContext } from './pipeline.js';

const HOST = 'm0.c.example.com';

const ZONE = `$ORIGIN example.com.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 604800 300
@ IN NS ns1
ns1 IN A 127.0.0.1
${HOST}. IN TXT "caf\\195\\169" "\\255"
${HOST}. IN TXT "raw bytes \\128\\000 and a quote \\""
`;

async function wire(port: number, name: string, type: string): Promise<string[]> {
  const r = await run('dig', ['@127.0.0.1', '-p', String(port), name, type, '+noall', '+answer', '+norec', '+time=2', '+tries=1']);
  if (r.code !== 0) throw new Error(`dig failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('writes: rfc2136 prerequisites from the octets read (real BIND)', function () {
  this.timeout(60_000);
  let bind: Bind;
  let key: BindKey;
  beforeEach(async () => {
    key = newKey('srvctl');
    bind = new Bind({ zone: 'example.com', zoneText: ZONE, port: await freePort(), keys: [key] });
    await bind.start();
  });
  afterEach(async () => {
    await bind.dispose();
  });

  it('a foreign TXT with octets >= 128 in an RRset the sync touches: the compare-and-swap holds, the TXT is byte-identical on the wire', async () => {
    const m = manifestFrom(
      '/nonexistent/c.yaml',
      clusterYaml({ cluster: 'c', domain: 'c.example.com', zone: 'example.com', members: 3, net: 1, provider: `  type: rfc2136\n  server: 127.0.0.1\n  port: ${bind.port}\n  tsig: { name: srvctl, secretEnv: TSIG }` }),
    );
    const ctx = testContext({ TSIG: key.secret });
    const before = await wire(bind.port, HOST, 'TXT');
    assert.equal(before.length, 2);
    const { plan } = await syncInProcess(m, ctx);
    assert.ok(plan.changes.some((c) => c.after?.name === HOST && c.after.type === 'TXT'), 'the TXT RRset at the host is part of the update (its marker), so its foreign records are prerequisites');
    const after = await wire(bind.port, HOST, 'TXT');
    for (const line of before) assert.ok(after.includes(line), `changed or lost: ${line}\nnow:\n${after.join('\n')}`);
    assert.equal(after.length, 3, 'the two foreign TXT records and srvctl\'s marker');
    // A second run finds nothing to do (and would send the same prerequisites again).
    assert.deepEqual((await planInProcess(m, ctx)).changes, []);
  });
});
