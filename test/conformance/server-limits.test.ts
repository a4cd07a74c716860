import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Authority } from '../../src/dns/authority.js';
import { encodeQuery, TYPE } from '../../src/dns/codec.js';
import { startServer, UDP_AMPLIFICATION, type RunningServer, type TcpLimits } from '../../src/dns/server.js';
import { parseZone } from '../../src/dns/zonefile.js';
import { exchange } from './exchange.js';
import { ORIGIN, PROBES, RICH_ZONE } from './rich-zone.js';

/**
 * Issue 15, the embedded server against hostile peers: no UDP amplification past 10×, TCP
 * connection limits per client and in total, slow-loris and idle eviction, and a client
 * that pipelines without reading cannot stall anyone else.
 */
const BIG_TXT = Array.from({ length: 12 }, (_, i) => `"${'x'.repeat(200)}${i}"`).join(' ');
const ZONE = `${RICH_ZONE}big IN TXT ${BIG_TXT}\nbig IN A 192.0.2.200\nbig IN MX 1 mail\n`;

async function serve(tcp: Partial<TcpLimits> = {}): Promise<RunningServer> {
  return startServer(new Authority(ORIGIN, parseZone(ZONE, ORIGIN).records), { host: '127.0.0.1', port: 0, tcp });
}

function frame(q: Buffer): Buffer {
  const f = Buffer.alloc(2 + q.length);
  f.writeUInt16BE(q.length);
  q.copy(f, 2);
  return f;
}

/** Connects, and resolves once connected; `closed` resolves when the server ends it. */
function open(port: number, localAddress = '127.0.0.1'): Promise<{ sock: Socket; closed: Promise<void>; received: () => number }> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: '127.0.0.1', localAddress });
    let n = 0;
    sock.on('data', (d) => (n += d.length));
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    sock.once('connect', () => resolve({ sock, closed, received: () => n }));
    sock.once('error', reject);
  });
}

async function answers(port: number, tcp: boolean): Promise<boolean> {
  const r = await exchange(port, encodeQuery(1, `node1.${ORIGIN}`, TYPE.A!, { rd: false }), tcp);
  return r !== null && r.readUInt16BE(6) === 1;
}

describe('embedded server under hostile peers (issue 15)', function () {
  this.timeout(30_000);

  it(`no UDP answer is more than ${UDP_AMPLIFICATION}× its query, whatever is asked`, async () => {
    const server = await serve();
    try {
      const names = ['@', 'big', 'txt', '_big._tcp', '_etcd-server-ssl._tcp', 'node1', 'sub', 'x.wild', 'c1'];
      const packets = [
        ...PROBES.filter((p) => !p.tcp).map((p) => p.packet),
        ...names.flatMap((n) => ['ANY', 'TXT', 'SRV', 'A', 'NS', 'MX'].flatMap((t) => [0, 512, 1232, 4096, 65535].map((edns) => encodeQuery(9, n === '@' ? ORIGIN : `${n}.${ORIGIN}`, TYPE[t]!, { rd: false, ednsSize: edns })))),
      ];
      let worst = 0;
      for (const p of packets) {
        const r = await exchange(server.port, p);
        assert.ok(r, 'every query is answered');
        worst = Math.max(worst, r.length / p.length);
      }
      assert.ok(worst <= UDP_AMPLIFICATION, `worst amplification ${worst.toFixed(1)}×`);
      // …and the big answers are still there over TCP.
      const big = await exchange(server.port, encodeQuery(9, `big.${ORIGIN}`, TYPE.TXT!, { rd: false }), true);
      assert.ok(big && big.length > 2000);
    } finally {
      await server.close();
    }
  });

  it('limits TCP connections per client and in total; other clients still get in', async () => {
    const server = await serve({ maxPerClient: 3, maxConnections: 5 });
    const conns: Socket[] = [];
    try {
      const first = await Promise.all([1, 2, 3, 4].map(() => open(server.port, '127.0.0.2')));
      conns.push(...first.map((c) => c.sock));
      await first[3]!.closed; // the fourth from one address is closed at once
      assert.equal(server.tcpConnections(), 3);
      const others = await Promise.all([1, 2].map(() => open(server.port, '127.0.0.3')));
      conns.push(...others.map((c) => c.sock));
      assert.ok(await answers(server.port, false), 'UDP still answers');
      const over = await open(server.port, '127.0.0.4');
      conns.push(over.sock);
      await over.closed; // the total of 5 is reached
      assert.equal(server.tcpConnections(), 5);
      first[0]!.sock.destroy();
      await first[0]!.closed;
      while (server.tcpConnections() > 4) await new Promise((r) => setImmediate(r));
      assert.ok(await answers(server.port, true), 'a freed slot serves TCP again');
    } finally {
      conns.forEach((c) => c.destroy());
      await server.close();
    }
  });

  it('closes a slow-loris connection (one octet at a time) and an idle one', async () => {
    const server = await serve({ messageMs: 300, idleMs: 400 });
    try {
      const loris = await open(server.port);
      const q = frame(encodeQuery(5, `node1.${ORIGIN}`, TYPE.A!, { rd: false }));
      let i = 0;
      const drip = setInterval(() => {
        if (i < q.length - 1 && !loris.sock.destroyed) loris.sock.write(q.subarray(i, ++i));
      }, 100);
      const idle = await open(server.port);
      await Promise.all([loris.closed, idle.closed]);
      clearInterval(drip);
      assert.equal(loris.received(), 0, 'the trickled query was never answered');
      assert.ok(await answers(server.port, true));
    } finally {
      await server.close();
    }
  });

  it('a client that pipelines and never reads is paused, then closed; UDP and TCP keep answering', async () => {
    const server = await serve({ maxPendingBytes: 64 * 1024, drainMs: 1500 });
    try {
      const hog = await open(server.port);
      hog.sock.pause(); // never reads
      const q = frame(encodeQuery(6, `big.${ORIGIN}`, TYPE.TXT!, { rd: false }));
      hog.sock.write(Buffer.concat(Array.from({ length: 4000 }, () => q))); // ~12 MB of answers asked
      for (let k = 0; k < 5; k++) {
        assert.ok(await answers(server.port, false), 'UDP answers during the hog');
        assert.ok(await answers(server.port, true), 'TCP answers during the hog');
      }
      // A paused client never reads the close, so watch the server's side of it.
      while (server.tcpConnections() > 0) await new Promise((r) => setTimeout(r, 50));
      hog.sock.destroy();
    } finally {
      await server.close();
    }
  });
});
