import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { RunningServer } from '../../src/dns/server.js';
import { DnsQueryError, query } from '../../src/dns/transport.js';
import { dig } from '../support/dig.js';
import { fakeUdp, parseQuery, replyTo, textToWire, type ParsedQuery } from '../support/fakedns.js';
import { serveText } from '../support/zone.js';

const opts = { timeoutMs: 300, retries: 2 };

/** A UDP "server" whose replies the test script decides, to play a spoofer or a black hole. */
async function fakeServer(reply: (q: ParsedQuery, n: number) => Buffer[]) {
  const f = await fakeUdp((q, _from, n) => reply(q, n));
  return { socket: f.socket, port: f.port, received: () => f.queries.length };
}

function answerFor(q: ParsedQuery, overrides: Partial<{ id: number; name: string; rdata: string }> = {}): Buffer {
  return replyTo(q, { id: overrides.id, qname: overrides.name ? textToWire(overrides.name) : undefined, rdata: overrides.rdata });
}

describe('query transport', () => {
  let server: RunningServer;
  before(async () => {
    server = await serveText();
  });
  after(() => server.close());

  it('gives the same answers, TTLs and flags as dig against the same server', async () => {
    const cases: [string, string][] = [
      ['_etcd-server._tcp.coreos.example.com', 'SRV'],
      ['node1.coreos.example.com', 'A'],
      ['node1.coreos.example.com', 'AAAA'],
      ['alias.coreos.example.com', 'A'],
      ['example.com', 'NS'],
      ['example.com', 'SOA'],
      ['missing.example.com', 'A'],
    ];
    for (const [name, type] of cases) {
      const mine = await query({ host: '127.0.0.1', port: server.port }, name, type, opts);
      const theirs = await dig('127.0.0.1', server.port, name, type);
      assert.equal(mine.rcode, theirs.status, `${name} ${type}`);
      assert.equal(mine.aa, theirs.flags.includes('aa'));
      assert.deepEqual(
        mine.answers.map((a) => `${a.name} ${a.ttl} ${a.type} ${a.rdata}`).sort(),
        theirs.answers.map((a) => `${a.name} ${a.ttl} ${a.type} ${a.rdata}`).sort(),
        `${name} ${type}`,
      );
      assert.deepEqual(mine.authority.map((a) => a.type), theirs.authority.map((a) => a.type));
    }
  });

  it('falls back to TCP when the UDP answer is truncated', async () => {
    const r = await query({ host: '127.0.0.1', port: server.port }, 'big.example.com', 'TXT', { ...opts, ednsSize: 512 });
    assert.equal(r.transport, 'tcp');
    assert.equal(r.answers.length, 2);
  });

  it('queries an IPv6 server', async function () {
    let v6: RunningServer;
    try {
      v6 = await serveText(undefined, '::1');
    } catch (e) {
      // Some CI sandboxes have no ::1; that is an environment fact worth failing loudly on.
      throw new Error(`cannot listen on [::1]: ${(e as Error).message}`);
    }
    try {
      const r = await query({ host: '::1', port: v6.port }, 'node2.coreos.example.com', 'A', opts);
      assert.deepEqual(r.answers.map((a) => a.rdata), ['10.0.0.2']);
      const t = await query({ host: '::1', port: v6.port }, 'node2.coreos.example.com', 'A', { ...opts, tcp: true });
      assert.equal(t.transport, 'tcp');
    } finally {
      await v6.close();
    }
  });

  it('retries a lost datagram and then gives up within its budget', async () => {
    const silent = await fakeServer(() => []);
    const started = Date.now();
    await assert.rejects(query({ host: '127.0.0.1', port: silent.port }, 'x.example.com', 'A', opts), (e: unknown) => e instanceof DnsQueryError && e.kind === 'timeout');
    const elapsed = Date.now() - started;
    assert.equal(silent.received(), 3, 'one try and two retries');
    assert.ok(elapsed < 3 * 300 + 500, `gave up after ${elapsed} ms`);
    silent.socket.close();
  });

  it('answers on the second try when the first datagram is lost', async () => {
    const lossy = await fakeServer((q, n) => (n === 0 ? [] : [answerFor(q)]));
    const r = await query({ host: '127.0.0.1', port: lossy.port }, 'x.example.com', 'A', opts);
    assert.equal(r.tries, 2);
    lossy.socket.close();
  });

  it('ignores replies with a wrong ID or a wrong question, and takes the genuine one', async () => {
    const spoofer = await fakeServer((q) => [answerFor(q, { id: (q.id + 1) % 65536, rdata: '6.6.6.6' }), answerFor(q, { name: 'other.example.com', rdata: '6.6.6.7' }), answerFor(q)]);
    const r = await query({ host: '127.0.0.1', port: spoofer.port }, 'x.example.com', 'A', opts);
    assert.deepEqual(r.answers.map((a) => a.rdata), ['10.0.0.1']);
    assert.equal(r.ignored, 2);
    spoofer.socket.close();
  });

  it('ignores a reply from another source address or port', async () => {
    const real = await fakeServer(() => []);
    const impostor = createSocket('udp4');
    await new Promise<void>((r) => impostor.bind(0, '127.0.0.1', r));
    real.socket.removeAllListeners('message');
    real.socket.on('message', (buf, rinfo) => impostor.send(answerFor(parseQuery(buf)), rinfo.port, rinfo.address));
    await assert.rejects(query({ host: '127.0.0.1', port: real.port }, 'x.example.com', 'A', { timeoutMs: 150, retries: 1 }), /no answer/);
    real.socket.close();
    impostor.close();
  });

  it('reports a closed port as unreachable, quickly', async () => {
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const port = probe.address().port;
    probe.close();
    await assert.rejects(query({ host: '127.0.0.1', port }, 'x.example.com', 'A', { timeoutMs: 2000, retries: 0 }), (e: unknown) => e instanceof DnsQueryError && e.kind === 'unreachable');
  });

  it('survives random bytes as replies and still times out cleanly', async () => {
    const noisy = await fakeServer(() => [Buffer.from([1, 2, 3]), Buffer.alloc(40, 0xff), Buffer.alloc(12, 0)]);
    await assert.rejects(query({ host: '127.0.0.1', port: noisy.port }, 'x.example.com', 'A', { timeoutMs: 100, retries: 1 }), /no answer/);
    noisy.socket.close();
  });
});
