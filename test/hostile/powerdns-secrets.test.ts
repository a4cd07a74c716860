import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { create, redactSecret } from '../../providers/powerdns.js';
import { requireManifest } from '../../src/manifest/load.js';
import { isSrvctlError } from '../../src/errors.js';

/**
 * The PowerDNS API key never reaches a message (issue 15): not when an error body echoes
 * the request headers (as some proxies and debug endpoints do), not when the key holds a
 * line break and Node's header check would quote it.
 */
const KEY = 'pdns-secret-key-4f3e2d1c';

function manifestFor(url: string) {
  return requireManifest(
    'c.yaml',
    `version: 1\ncluster: c\ndomain: coreos.example.com\nprovider: { type: powerdns, zone: example.com, url: "${url}", apiKeyEnv: K }\nmembers:\n  - { name: n1, host: n1.coreos.example.com, ipv4: 10.0.0.1 }\n`,
  ).manifest;
}

async function messageOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(isSrvctlError(e), `not a SrvctlError: ${String(e)}`);
    return [e.message, ...e.details].join('\n');
  }
  assert.fail('expected a failure');
}

describe('hostile peers: the PowerDNS API key is redacted everywhere', () => {
  let server: Server;
  let url = '';
  let respond: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
  before(async () => {
    server = createServer((req, res) => respond(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const ctx = (key: string) => ({ env: { K: key }, debug: () => undefined, now: () => new Date() });
  const echo = (status: number, json: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    const headers = JSON.stringify(req.headers);
    res.writeHead(status, { 'content-type': json ? 'application/json' : 'text/plain' });
    // The key at the very start, so that a 300-character cut would keep it.
    res.end(json ? JSON.stringify({ error: `bad request, headers were ${headers}` }) : `${req.headers['x-api-key']} ${headers}`);
  };

  for (const [status, json] of [
    [500, true],
    [500, false],
    [404, true],
    [422, true],
    [200, false],
  ] as [number, boolean][]) {
    it(`an error body that echoes the headers (${status}, ${json ? 'JSON' : 'text'}) does not show the key`, async () => {
      respond = echo(status, json);
      const provider = await create(manifestFor(url), ctx(KEY));
      const msg = await messageOf(provider.read(['coreos.example.com']));
      assert.ok(!msg.includes(KEY), msg);
      assert.ok(!msg.includes('4f3e2d1c'), msg);
      if (status !== 200) assert.match(msg, /\[api key\]/, 'the echo was there to redact');
    });
  }

  it('a key with a line break is refused by name, without quoting it', async () => {
    respond = echo(200, true);
    const key = `${KEY}\nsecond-line-of-key`;
    const msg = await messageOf(create(manifestFor(url), ctx(key)).then((p) => p.read(['coreos.example.com'])));
    assert.match(msg, /environment variable K holds characters an HTTP header cannot carry/);
    assert.ok(!msg.includes(KEY) && !msg.includes('second-line-of-key'), msg);
  });

  it('redactSecret removes the key, its JSON-escaped form and each of its lines', () => {
    const key = 'abcd"ef\nghijkl';
    const text = `x ${key} y ${JSON.stringify(key)} z abcd"ef w ghijkl`;
    const out = redactSecret(text, key);
    assert.ok(!out.includes('abcd') && !out.includes('ghijkl'), out);
  });
});
