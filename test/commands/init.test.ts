import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePaint, type Context } from '../../src/commands/context.js';
import { init } from '../../src/commands/init.js';
import { SrvctlError } from '../../src/errors.js';
import { parseManifest } from '../../src/manifest/load.js';
import { scratch, srvctl } from '../support/run.js';

/** A Context over buffers: what a command printed, and nothing of the process. */
function bufferContext(json = false) {
  const out: string[] = [];
  const err: string[] = [];
  const docs: unknown[] = [];
  const ctx: Context = {
    json,
    verbose: false,
    debug: false,
    env: {},
    stdinIsTTY: false,
    stderrIsTTY: false,
    out: (t) => (json ? err : out).push(t),
    err: (t) => err.push(t),
    emit: (d) => docs.push(d),
    paint: makePaint(false),
    errPaint: makePaint(false),
    providerContext: () => ({ env: {}, debug: () => {}, now: () => new Date() }),
    confirm: async () => false,
  };
  return { ctx, out, err, docs };
}

describe('srvctl init', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await scratch()));
  afterEach(() => cleanup());

  for (const provider of ['zonefile', 'rfc2136', 'powerdns', 'cloudflare']) {
    for (const members of [1, 3, 5]) {
      it(`--provider ${provider} --members ${members}: a commented manifest that validates as written`, async () => {
        const file = join(dir, `${provider}-${members}.yaml`);
        const { ctx, docs } = bufferContext(true);
        assert.equal(await init(ctx, { provider, members: String(members), domain: 'etcd.prod.example.org', out: file }), 0);
        const text = readFileSync(file, 'utf8');
        const { manifest, findings } = parseManifest(file, text);
        assert.ok(manifest, findings.map((f) => f.message).join('\n'));
        assert.deepEqual(findings.filter((f) => f.severity === 'error'), []);
        assert.equal(manifest.provider.type, provider);
        assert.equal(manifest.domain, 'etcd.prod.example.org');
        assert.equal(manifest.cluster, 'etcd');
        assert.deepEqual(manifest.members.map((m) => m.name), Array.from({ length: members }, (_, i) => `node${i + 1}`));
        assert.match(text, /^# yaml-language-server: \$schema=\.\/cluster\.schema\.json$/m, 'the modeline has nothing after it');
        assert.ok(text.split('\n').filter((l) => /#/.test(l)).length >= 10, 'it explains itself');
        assert.deepEqual(docs, [{ file, cluster: 'etcd', domain: 'etcd.prod.example.org', provider, members }]);
      });
    }
  }

  it('a domain long enough to reach the comment column still leaves the comments out of the values', async () => {
    const domain = 'a-rather-long-discovery-domain.for-etcd.example.com';
    const file = join(dir, 'long.yaml');
    await init(bufferContext().ctx, { domain, cluster: 'long', out: file });
    const { manifest } = parseManifest(file, readFileSync(file, 'utf8'));
    assert.equal(manifest?.domain, domain);
    assert.equal(manifest?.cluster, 'long');
  });

  it('refuses to overwrite: exit 64, and the file keeps its bytes; nothing else is left behind', async () => {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, 'mine\n');
    await assert.rejects(init(bufferContext().ctx, { out: file }), (e: SrvctlError) => e.code === 'usage' && /exists: srvctl init never overwrites/.test(e.message));
    assert.equal(readFileSync(file, 'utf8'), 'mine\n');
    assert.deepEqual(readdirSync(dir), ['cluster.yaml']);
  });

  it('bad flags are usage errors and write nothing', async () => {
    const file = join(dir, 'x.yaml');
    for (const flags of [{ members: '0' }, { members: 'three' }, { provider: 'route53' }, { domain: 'not a domain' }, { cluster: 'Upper_Case' }]) {
      await assert.rejects(init(bufferContext().ctx, { ...flags, out: file }), (e: SrvctlError) => e.code === 'usage', JSON.stringify(flags));
      assert.ok(!existsSync(file));
    }
  });

  it('--out - prints the manifest; from the command line, the default cluster.yaml is written in the cwd and a second init exits 64', async () => {
    const { ctx, out } = bufferContext();
    assert.equal(await init(ctx, { out: '-', members: '2' }), 0);
    assert.ok(parseManifest('stdin.yaml', out.join('')).manifest);
    const first = await srvctl(['init', '--domain', 'coreos.example.com'], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.equal((await srvctl(['validate', 'cluster.yaml'], { cwd: dir })).code, 0);
    const again = await srvctl(['init'], { cwd: dir });
    assert.equal(again.code, 64);
    assert.match(again.stderr, /cluster\.yaml exists/);
  });
});
