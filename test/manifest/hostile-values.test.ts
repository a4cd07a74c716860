import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from '../../src/manifest/load.js';
import { scratch, srvctl } from '../support/run.js';

/**
 * Every manifest here passed `srvctl validate` before these checks (issue 15) and would
 * have been refused by etcd or misread by a shell / YAML consumer of the rendered config.
 * Each must now fail at the line and column of the offending value.
 */
function manifest(opts: { peerUrl?: string; token?: string; host?: string; name?: string; url?: string } = {}): string {
  const host = opts.host ?? 'node1.coreos.example.com';
  const lines = [
    'version: 1',
    'cluster: c1',
    'domain: coreos.example.com',
    ...(opts.token !== undefined ? ['etcd:', `  token: ${JSON.stringify(opts.token)}`] : []),
    'provider:',
    ...(opts.url !== undefined ? ['  type: powerdns', `  url: ${JSON.stringify(opts.url)}`] : []),
    '  zone: example.com',
    'members:',
    `  - name: ${opts.name ?? 'node1'}`,
    `    host: ${host}`,
    '    ipv4: 10.0.0.1',
    ...(opts.peerUrl !== undefined ? [`    advertisePeerUrl: ${JSON.stringify(opts.peerUrl)}`] : []),
    '  - { name: node2, host: node2.coreos.example.com, ipv4: 10.0.0.2 }',
    '  - { name: node3, host: node3.coreos.example.com, ipv4: 10.0.0.3 }',
  ];
  return `${lines.join('\n')}\n`;
}

function errorsOf(text: string): { where: string; message: string }[] {
  return parseManifest('c.yaml', text).findings.filter((f) => f.severity === 'error');
}

/** The 1-based line of the first line of `text` that contains `needle`, and the column its value starts at. */
function place(text: string, key: string): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => new RegExp(`^\\s*-?\\s*${key}:`).test(l));
  assert.ok(i >= 0, `no ${key} line`);
  const col = lines[i]!.indexOf(':') + 3;
  return `c.yaml:${i + 1}:${col}`;
}

describe('manifest: hostile values are refused at their place', () => {
  it('accepts the plain manifest these cases start from (the control)', () => {
    assert.deepEqual(errorsOf(manifest()), []);
    assert.deepEqual(errorsOf(manifest({ peerUrl: 'http://node1.coreos.example.com:2380' })), []);
    assert.deepEqual(errorsOf(manifest({ peerUrl: 'http://10.0.0.1:2380' })), []);
    assert.deepEqual(errorsOf(manifest({ token: 'prod-etcd_2.v1' })), []);
    assert.deepEqual(errorsOf(manifest({ url: 'http://127.0.0.1:8081/pdns' })), []);
  });

  const peerUrls: [string, RegExp][] = [
    ['http://node1.coreos.example.com:2380/', /must not contain a path/],
    ['http://node1.coreos.example.com:2380/peers', /has a path/],
    ["http://node1.coreos.example.com:2380?'$(touch /tmp/pwned)'", /has a query/],
    ['http://node1.coreos.example.com:2380?,evil=http://10.6.6.6:2380', /commas|has a query/],
    ['http://node1.coreos.example.com:2380#x', /has a fragment/],
    ['http://admin:secret@node1.coreos.example.com:2380', /userinfo/],
    ['http://node1.coreos.example.com', /has no port/],
    ['http://node1.coreos.example.com:2380,http://10.6.6.6:2380', /splits URL lists at commas/],
    ['http://node1.coreos.example.com:2380 ', /whitespace/],
    ['http://node1.coreos.example.com:2380;x', /may hold only letters/],
    ['http://node_1.coreos.example.com:2380', /holds "_"/],
    ['http://node1.coreos.example.com:2380\u001b[31m', /control characters/],
  ];
  for (const [url, why] of peerUrls) {
    it(`refuses advertisePeerUrl ${JSON.stringify(url)}`, () => {
      const text = manifest({ peerUrl: url });
      const errs = errorsOf(text);
      assert.equal(errs.length, 1, JSON.stringify(errs));
      assert.equal(errs[0]!.where, place(text, 'advertisePeerUrl'));
      assert.match(errs[0]!.message, why);
    });
  }

  const tokens = ["x';touch /tmp/pwned;'", 'a$(touch /tmp/pwned)', 'x;{touch,/tmp/pwned}', '@foo', ',a', '-x', 'a b', 'a\nb', 'ä', 'x'.repeat(256)];
  for (const token of tokens) {
    it(`refuses etcd.token ${JSON.stringify(token).slice(0, 40)}`, () => {
      const text = manifest({ token });
      const errs = errorsOf(text);
      assert.equal(errs.length, 1, JSON.stringify(errs));
      assert.equal(errs[0]!.where, place(text, 'token'));
      assert.match(errs[0]!.message, /letters, digits/);
    });
  }

  for (const name of ['"a=b"', '"a,b"', '"a b"', '"-a"', '"a;b"']) {
    it(`refuses member name ${name}`, () => {
      const text = manifest({ name });
      const errs = errorsOf(text);
      assert.equal(errs.length, 1, JSON.stringify(errs));
      assert.equal(errs[0]!.where, place(text, 'name'));
    });
  }

  it('refuses an underscore in a member host (an SRV target is a hostname)', () => {
    const text = manifest({ host: 'node_1.coreos.example.com' });
    const errs = errorsOf(text);
    assert.equal(errs.length, 1, JSON.stringify(errs));
    assert.equal(errs[0]!.where, place(text, 'host'));
    assert.match(errs[0]!.message, /holds "_"/);
  });

  for (const [url, why] of [
    ['http://user:hunter2@127.0.0.1:8081', /userinfo/],
    ['http://127.0.0.1:8081/?x=1', /query or fragment/],
    ['http://127.0.0.1:8081#f', /query or fragment/],
  ] as [string, RegExp][]) {
    it(`refuses provider url ${url}`, () => {
      const text = manifest({ url });
      const errs = errorsOf(text);
      assert.equal(errs.length, 1, JSON.stringify(errs));
      assert.equal(errs[0]!.where, place(text, 'url'));
      assert.match(errs[0]!.message, why);
    });
  }

  it('refuses a verify.nameservers entry that is neither an address nor a hostname', () => {
    const text = `${manifest()}verify:\n  nameservers: ["ns1.example.com\\u001b[2J:53"]\n`;
    const errs = errorsOf(text);
    assert.equal(errs.length, 1, JSON.stringify(errs));
    assert.match(errs[0]!.where, /^c\.yaml:\d+:\d+$/);
    assert.ok(!/[\u0000-\u001f]/.test(errs[0]!.message), errs[0]!.message);
    assert.deepEqual(errorsOf(`${manifest()}verify:\n  nameservers: ["ns1.example.com:53", "127.0.0.1:5353", "[::1]:53"]\n`), []);
  });

  it('srvctl validate exits 65 and names file:line:column (one CLI run for the family)', async () => {
    const { dir, cleanup } = await scratch();
    try {
      const file = join(dir, 'cluster.yaml');
      const text = manifest({ peerUrl: 'http://node1.coreos.example.com:2380/' });
      writeFileSync(file, text);
      const r = await srvctl(['validate', file]);
      assert.equal(r.code, 65, r.stderr);
      assert.ok(r.stderr.includes(`${file}:${place(text, 'advertisePeerUrl').split(':').slice(1).join(':')}`), r.stderr);
    } finally {
      await cleanup();
    }
  });

  it('an unknown key with control characters is named escaped: it cannot drive the terminal', () => {
    const text = manifest().replace('cluster: c1\n', 'cluster: c1\n"bad\\e[31mkey\\u202e": 1\n');
    const errs = errorsOf(text);
    assert.equal(errs.length, 1, JSON.stringify(errs));
    assert.equal(errs[0]!.where, 'c.yaml:3:1');
    assert.equal(errs[0]!.message, 'unknown key "bad\\x1b[31mkey\\u202e"');
  });
});
