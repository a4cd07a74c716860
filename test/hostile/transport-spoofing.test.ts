import assert from 'node:assert/strict';
import { query } from '../../src/dns/transport.js';
import { fakeTcp, fakeUdp, frame, replyTo, textToWire, type FakeTcp, type FakeUdp, type ParsedQuery } from '../support/fakedns.js';

/**
 * Off-path forgery on loopback (issue 15). The attacker is given more than a local user
 * gets from /proc/net/udp: the fake server hands it the query's source port — and in the
 * harder cases the query ID too. What it cannot know is the random case of the name (0x20)
 * and the client cookie. Forged replies are sent from the server's own address and port,
 * as a spoofer would. The lookup must come back with the genuine answer, never 6.6.6.6.
 */
const NAME = '_etcd-server._tcp.coreos.example.com';
const GENUINE = '10.0.0.1';
const FORGED = '6.6.6.6';

function lower(q: ParsedQuery): Buffer {
  return textToWire(q.name.toLowerCase());
}

describe('hostile peers: forged replies do not poison a lookup', function () {
  this.timeout(60_000);
  const peers: (FakeUdp | FakeTcp)[] = [];
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  /** The genuine server also answers over TCP, where a query with a suspect UDP reply goes. */
  async function tcpTwin(port: number): Promise<FakeTcp> {
    const tcp = await fakeTcp((q, conn) => conn.write(frame(replyTo(q, { rdata: GENUINE }))), port);
    peers.push(tcp);
    return tcp;
  }

  it('sends the name in random case, and a reply must spell it back exactly', async () => {
    const udp = await fakeUdp((q) => [replyTo(q, { rdata: GENUINE })]);
    peers.push(udp);
    for (let i = 0; i < 8; i++) await query({ host: '127.0.0.1', port: udp.port }, NAME, 'A', { timeoutMs: 500, retries: 0 });
    const spellings = new Set(udp.queries.map(({ q }) => q.name));
    assert.ok(spellings.size >= 7, `8 queries went out in only ${spellings.size} spellings: ${[...spellings].join(' ')}`);
    for (const s of spellings) assert.equal(s.toLowerCase(), NAME);
  });

  it('an attacker who knows port and ID but not the case loses: the suspect reply sends the query to TCP', async () => {
    const udp = await fakeUdp((q) => [replyTo(q, { qname: lower(q), rdata: FORGED }), replyTo(q, { qname: textToWire(q.name.toUpperCase()), rdata: FORGED })]);
    peers.push(udp);
    const tcp = await tcpTwin(udp.port);
    const a = await query({ host: '127.0.0.1', port: udp.port }, NAME, 'A', { timeoutMs: 1000, retries: 1 });
    assert.deepEqual(a.answers.map((r) => r.rdata), [GENUINE]);
    assert.equal(a.transport, 'tcp');
    assert.equal(tcp.connections.length, 1);
  });

  it('a flood of forged replies over every ID, sent to the known port, does not win', async () => {
    const udp = await fakeUdp((q, from, n, server) => {
      if (n > 0) return [replyTo(q, { rdata: GENUINE })];
      // Every possible ID, in bursts small enough for the socket buffer (sender and receiver
      // share this event loop), then the genuine reply. The query's own ID comes last: that
      // forgery (right ID, wrong case) sends the lookup to TCP, so sent early it would end
      // the flood after as many replies as the ID's value.
      let k = 0;
      const burst = () => {
        for (let i = 0; i < 64 && k < 65536; i++, k++) server.send(replyTo(q, { id: (q.id + 1 + k) & 0xffff, qname: lower(q), rdata: FORGED }), from);
        if (k < 65536) setImmediate(burst);
        else setTimeout(() => server.send(replyTo(q, { rdata: GENUINE }), from), 20);
      };
      burst();
    });
    peers.push(udp);
    await tcpTwin(udp.port);
    const a = await query({ host: '127.0.0.1', port: udp.port }, NAME, 'A', { timeoutMs: 10_000, retries: 1 });
    assert.deepEqual(a.answers.map((r) => r.rdata), [GENUINE]);
    assert.ok(a.ignored > 1000, `only ${a.ignored} forged replies reached the transport: the test did not flood`);
  });

  it('with a server that speaks DNS COOKIEs, a reply without our cookie is not trusted', async () => {
    const serverCookie = Buffer.from('0011223344556677', 'hex');
    let forge = false;
    const udp = await fakeUdp((q) => {
      if (!q.cookie) return [replyTo(q, { rdata: GENUINE })];
      const client = q.cookie.subarray(0, 8);
      if (!forge) return [replyTo(q, { rdata: GENUINE, cookie: Buffer.concat([client, serverCookie]) })];
      // The forger even spells the name right, but knows no client cookie.
      return [replyTo(q, { rdata: FORGED }), replyTo(q, { rdata: FORGED, cookie: Buffer.concat([Buffer.alloc(8, 0xee), serverCookie]) })];
    });
    peers.push(udp);
    const tcp = await tcpTwin(udp.port);
    const first = await query({ host: '127.0.0.1', port: udp.port }, NAME, 'A', { timeoutMs: 1000, retries: 0 });
    assert.equal(first.transport, 'udp');
    assert.equal(udp.queries[0]!.q.cookie?.length, 8, 'the first query carries a client cookie only');
    forge = true;
    const second = await query({ host: '127.0.0.1', port: udp.port }, NAME, 'A', { timeoutMs: 1000, retries: 0 });
    assert.deepEqual(second.answers.map((r) => r.rdata), [GENUINE]);
    assert.equal(second.transport, 'tcp');
    assert.equal(tcp.connections.length, 1);
    const sent = udp.queries[1]!.q.cookie!;
    assert.ok(sent.subarray(8).equals(serverCookie), 'the server cookie learned is sent back');
    assert.ok(sent.subarray(0, 8).equals(udp.queries[0]!.q.cookie!), 'one client cookie per server');
  });

  it('a reply carrying another client cookie is ignored even with the right ID and case', async () => {
    const udp = await fakeUdp((q) => [replyTo(q, { rdata: FORGED, cookie: Buffer.alloc(16, 0xab) }), replyTo(q, { rdata: GENUINE, cookie: Buffer.concat([q.cookie!.subarray(0, 8), Buffer.alloc(8, 1)]) })]);
    peers.push(udp);
    const a = await query({ host: '127.0.0.1', port: udp.port }, 'cookie.example.com', 'A', { timeoutMs: 1000, retries: 0 });
    assert.deepEqual(a.answers.map((r) => r.rdata), [GENUINE]);
    assert.equal(a.ignored, 1);
  });

  it('shares a few rotating sockets between concurrent queries and never crosses their answers', async () => {
    const udp = await fakeUdp((q) => {
      const n = Number(/^n(\d+)\./i.exec(q.name)![1]);
      return [replyTo(q, { rdata: `10.0.${n >> 8}.${n & 255}` })];
    });
    peers.push(udp);
    const N = 400;
    const answers = await Promise.all(Array.from({ length: N }, (_, i) => query({ host: '127.0.0.1', port: udp.port }, `n${i}.example.com`, 'A', { timeoutMs: 2000, retries: 1 })));
    answers.forEach((a, i) => assert.deepEqual(a.answers.map((r) => r.rdata), [`10.0.${i >> 8}.${i & 255}`]));
    const ports = new Set(udp.queries.map(({ from }) => from.port));
    assert.ok(ports.size >= N / 16, `${N} queries from only ${ports.size} source ports`);
    assert.ok(ports.size <= N / 4, `${N} queries from ${ports.size} source ports: sockets are not shared`);
  });
});
