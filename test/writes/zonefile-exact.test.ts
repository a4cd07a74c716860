import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bind } from '../support/bind.js';
import { freePort } from '../support/ports.js';
import { run } from '../support/run.js';
import { clusterYaml, manifestFrom, syncInProcess } from './pipeline.js';

const HOST = 'm0.c.example.com';
const ZONE = `$ORIGIN example.com.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 604800 300
@ IN NS ns1
ns1 IN A 127.0.0.1
${HOST}. IN TXT "caf\\195\\169" "\\255"
${HOST}. IN TXT "raw é"
`;

/** What BIND serves for the zone text: `dig +noall +answer`, sorted. */
async function servedByBind(text: string, name: string, type: string): Promise<string[]> {
  const bind = new Bind({ zone: 'example.com', zoneText: text, port: await freePort() });
  await bind.start();
  try {
    const r = await run('dig', ['@127.0.0.1', '-p', String(bind.port), name, type, '+noall', '+answer', '+norec', '+time=2', '+tries=1']);
    if (r.code !== 0) throw new Error(`dig failed: ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean).sort();
  } finally {
    await bind.dispose();
  }
}

describe('writes: the zone file keeps foreign TXT octets (BIND serves the same before and after)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'srvctl-exact-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('non-ASCII foreign TXT at a managed name: identical lines in the file and identical answers on the wire', async () => {
    const zone = join(dir, 'example.com.zone');
    await writeFile(zone, ZONE);
    const before = await servedByBind(ZONE, HOST, 'TXT');
    assert.equal(before.length, 2);
    const m = manifestFrom(join(dir, 'c.yaml'), clusterYaml({ cluster: 'c', domain: 'c.example.com', zone: 'example.com', members: 3, net: 1, provider: `  type: zonefile\n  path: ${zone}` }));
    await syncInProcess(m);
    const text = await readFile(zone, 'utf8');
    for (const line of ZONE.split('\n').filter((l) => l.startsWith(HOST))) assert.ok(text.includes(line), `the line changed: ${line}`);
    const after = await servedByBind(text, HOST, 'TXT');
    for (const line of before) assert.ok(after.includes(line), `changed on the wire: ${line}\nnow:\n${after.join('\n')}`);
    assert.equal(after.length, 3);
  });
});
