import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { tcpExchange } from '../../src/dns/tcp.js';
import { DnsQueryError, query } from '../../src/dns/transport.js';
import { fakeTcp, fakeUdp, frame, replyTo, type FakeTcp, type FakeUdp } from '../support/fakedns.js';

/**
 * Hostile peers against the deadlines (issue 15): a server that drips one byte at a time
 * or floods wrong-ID replies must not stretch a query past timeout × tries, and a closed
 * port must fail at once. The slack allowed is for a loaded CI machine, far below what
 * an idle timeout would have taken (forever).
 */
const SLACK_MS = 1500;

async function elapsed<T>(p: Promise<T>): Promise<{ ms: number; error: unknown }> {
  const t = Date.now();
  try {
    await p;
    return { ms: Date.now() - t, error: undefined };
  } catch (e) {
    return { ms: Date.now() - t, error: e };
  }
}

/** A TCP peer that answers a query with a frame announcing 512 octets and then drips one octet every `everyMs`. */
async function drip(everyMs: number, port = 0): Promise<FakeTcp> {
  const timers = new Set<NodeJS.Timeout>();
  const peer = await fakeTcp((q, conn) => {
    const whole = frame(Buffer.concat([replyTo(q), Buffer.alloc(512)])).subarray(0, 514);
    whole.writeUInt16BE(512, 0);
    let at = 0;
    const t = setInterval(() => {
      if (conn.destroyed || at >= whole.length) return clearInterval(t);
      conn.write(whole.subarray(at, ++at));
    }, everyMs);
    timers.add(t);
    conn.on('close', () => clearInterval(t));
  }, port);
  const close = peer.close;
  peer.close = async () => {
    for (const t of timers) clearInterval(t);
    await close();
  };
  return peer;
}

describe('hostile peers: every query ends by its deadline', function () {
  this.timeout(30_000);
  const peers: (FakeUdp | FakeTcp)[] = [];
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  it('a TCP server dripping a byte every 100 ms ends within timeout × tries, with a named error', async () => {
    const tcp = await drip(100);
    peers.push(tcp);
    const { ms, error } = await elapsed(query({ host: '127.0.0.1', port: tcp.port }, 'x.example.com', 'A', { timeoutMs: 300, retries: 2, tcp: true }));
    assert.ok(error instanceof DnsQueryError && error.kind === 'timeout', String(error));
    assert.match(error.message, new RegExp(`nameserver 127\\.0\\.0\\.1:${tcp.port}: no valid answer within 900 ms`));
    assert.ok(ms < 900 + SLACK_MS, `ended after ${ms} ms`);
    assert.ok(ms >= 850, `ended after ${ms} ms, before its deadline`);
  });

  it('a truncated UDP answer followed by a drip over TCP ends within timeout × tries', async () => {
    const udp = await fakeUdp((q) => [replyTo(q, { tc: true })]);
    peers.push(udp);
    const tcp = await drip(1500, udp.port);
    peers.push(tcp);
    const { ms, error } = await elapsed(query({ host: '127.0.0.1', port: udp.port }, 'x.example.com', 'A', { timeoutMs: 400, retries: 1 }));
    assert.ok(error instanceof DnsQueryError && error.kind === 'timeout', String(error));
    assert.ok(ms < 800 + SLACK_MS, `ended after ${ms} ms`);
  });

  it('a flood of wrong-ID UDP replies ends within timeout × tries and says how many it ignored', async () => {
    let flooding = true;
    const udp = await fakeUdp((q, from, _n, server) => {
      const burst = () => {
        if (!flooding) return;
        for (let i = 0; i < 50; i++) server.send(replyTo(q, { id: (q.id + 1 + i) % 65536, rdata: '6.6.6.6' }), from);
        setImmediate(burst);
      };
      burst();
    });
    peers.push(udp);
    try {
      const { ms, error } = await elapsed(query({ host: '127.0.0.1', port: udp.port }, 'x.example.com', 'A', { timeoutMs: 200, retries: 1 }));
      assert.ok(error instanceof DnsQueryError && error.kind === 'timeout', String(error));
      const m = /(\d+) wrong-ID replies ignored/.exec(error.message);
      assert.ok(m && Number(m[1]) > 0, error.message);
      assert.ok(ms < 400 + SLACK_MS, `ended after ${ms} ms`);
    } finally {
      flooding = false;
    }
  });

  it('an endless stream of wrong-ID TCP frames ends within the deadline', async () => {
    const tcp = await fakeTcp((q, conn) => {
      const pump = () => {
        if (conn.destroyed) return;
        if (conn.write(frame(replyTo(q, { id: (q.id + 1) % 65536 })))) setImmediate(pump);
        else conn.once('drain', pump);
      };
      pump();
    });
    peers.push(tcp);
    const { ms, error } = await elapsed(query({ host: '127.0.0.1', port: tcp.port }, 'x.example.com', 'A', { timeoutMs: 250, retries: 1, tcp: true }));
    assert.ok(error instanceof DnsQueryError && error.kind === 'timeout', String(error));
    assert.match(error.message, /wrong-ID replies ignored/);
    assert.ok(ms < 500 + SLACK_MS, `ended after ${ms} ms`);
  });

  it('an UPDATE/AXFR exchange against a drip ends at its total deadline', async () => {
    const tcp = await drip(100);
    peers.push(tcp);
    const q = Buffer.from(replyTo({ raw: Buffer.alloc(0), id: 1, qname: Buffer.from([1, 120, 0]), name: 'x', qtype: 252, questionEnd: 0 }));
    q.writeUInt16BE(0, 2); // a query, not a reply
    const { ms, error } = await elapsed(tcpExchange({ host: '127.0.0.1', port: tcp.port }, q, 600, () => false));
    assert.match(String(error), /no complete answer within 600 ms over TCP/);
    assert.ok(ms < 600 + SLACK_MS, `ended after ${ms} ms`);
  });

  it('a closed UDP port fails at once with ECONNREFUSED, not after the timeout', async () => {
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const { ms, error } = await elapsed(query({ host: '127.0.0.1', port }, 'x.example.com', 'A', { timeoutMs: 5000, retries: 2 }));
    assert.ok(error instanceof DnsQueryError && error.kind === 'unreachable' && error.code === 'ECONNREFUSED', String(error));
    assert.ok(ms < 5000, `ended after ${ms} ms: the refusal was waited out`);
  });

  it('a closed TCP port fails at once with ECONNREFUSED', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const { ms, error } = await elapsed(query({ host: '127.0.0.1', port }, 'x.example.com', 'A', { timeoutMs: 5000, retries: 2, tcp: true }));
    assert.ok(error instanceof DnsQueryError && error.code === 'ECONNREFUSED', String(error));
    assert.ok(ms < 5000, `ended after ${ms} ms`);
    const x = await elapsed(tcpExchange({ host: '127.0.0.1', port }, Buffer.alloc(12), 5000, () => true));
    assert.equal((x.error as { code?: string }).code, 'ECONNREFUSED');
    assert.ok(x.ms < 5000);
  });
});
