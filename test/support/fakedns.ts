import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, type Server as NetServer, type Socket as NetSocket } from 'node:net';
import { readReplyEdns, readReplyHead } from '../../src/dns/question.js';

/**
 * Scriptable DNS peers for transport tests: the test decides every byte a "server" sends,
 * to play a spoofer, a black hole, a drip or a flood. Replies are built from the raw query,
 * so the question comes back spelt exactly as sent (as BIND and Knot do).
 */
export interface ParsedQuery {
  raw: Buffer;
  id: number;
  qname: Buffer;
  /** the question name as text, case as sent */
  name: string;
  qtype: number;
  questionEnd: number;
  /** the COOKIE option the query carried */
  cookie?: Buffer;
}

export function parseQuery(raw: Buffer): ParsedQuery {
  const head = readReplyHead(raw)!;
  const edns = readReplyEdns(raw, head);
  return { raw, id: head.id, qname: head.qname!, name: wireToText(head.qname!), qtype: head.qtype!, questionEnd: head.end, cookie: edns?.cookie };
}

export function wireToText(wire: Buffer): string {
  const labels: string[] = [];
  for (let at = 0; wire[at]! !== 0; at += 1 + wire[at]!) labels.push(wire.subarray(at + 1, at + 1 + wire[at]!).toString('latin1'));
  return labels.join('.');
}

export function textToWire(name: string): Buffer {
  const parts = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

export interface ReplyOptions {
  id?: number;
  /** the question name on the wire; the query's own by default */
  qname?: Buffer;
  rdata?: string;
  tc?: boolean;
  /** a COOKIE option to send (client cookie then server cookie) */
  cookie?: Buffer;
}

/** An A answer (or an empty TC=1 reply) to `q`. */
export function replyTo(q: ParsedQuery, o: ReplyOptions = {}): Buffer {
  const qname = o.qname ?? q.qname;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(o.id ?? q.id, 0);
  header.writeUInt16BE(0x8400 | (o.tc ? 0x0200 : 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(o.tc ? 0 : 1, 6);
  header.writeUInt16BE(o.cookie ? 1 : 0, 10);
  const question = Buffer.alloc(qname.length + 4);
  qname.copy(question);
  question.writeUInt16BE(q.qtype, qname.length);
  question.writeUInt16BE(1, qname.length + 2);
  const parts = [header, question];
  if (!o.tc) {
    const a = Buffer.alloc(16);
    a.writeUInt16BE(0xc00c, 0);
    a.writeUInt16BE(1, 2);
    a.writeUInt16BE(1, 4);
    a.writeUInt32BE(60, 6);
    a.writeUInt16BE(4, 10);
    Buffer.from((o.rdata ?? '10.0.0.1').split('.').map(Number)).copy(a, 12);
    parts.push(a);
  }
  if (o.cookie) {
    const opt = Buffer.alloc(11 + 4 + o.cookie.length);
    opt.writeUInt16BE(41, 1);
    opt.writeUInt16BE(1232, 3);
    opt.writeUInt16BE(4 + o.cookie.length, 9);
    opt.writeUInt16BE(10, 11);
    opt.writeUInt16BE(o.cookie.length, 13);
    o.cookie.copy(opt, 15);
    parts.push(opt);
  }
  return Buffer.concat(parts);
}

export interface FakeUdp {
  socket: Socket;
  port: number;
  queries: { q: ParsedQuery; from: RemoteInfo }[];
  send(buf: Buffer, to: RemoteInfo): void;
  close(): Promise<void>;
}

export async function fakeUdp(onQuery: (q: ParsedQuery, from: RemoteInfo, n: number, server: FakeUdp) => Buffer[] | void, port = 0): Promise<FakeUdp> {
  const socket = createSocket('udp4');
  // A flood may still be sending when the test closes the peer: sends after close are dropped.
  let closed = false;
  const server: FakeUdp = {
    socket,
    port: 0,
    queries: [],
    send: (buf, to) => {
      if (!closed) socket.send(buf, to.port, to.address, () => undefined);
    },
    close: () =>
      new Promise((r) => {
        if (closed) return r();
        closed = true;
        socket.close(() => r());
      }),
  };
  socket.on('message', (buf, from) => {
    const q = parseQuery(buf);
    server.queries.push({ q, from });
    for (const out of onQuery(q, from, server.queries.length - 1, server) ?? []) server.send(out, from);
  });
  await new Promise<void>((r) => socket.bind(port, '127.0.0.1', r));
  server.port = socket.address().port;
  return server;
}

export interface FakeTcp {
  server: NetServer;
  port: number;
  connections: NetSocket[];
  close(): Promise<void>;
}

/** A TCP peer: `onQuery` gets each framed query and the connection, to answer however it likes. */
export async function fakeTcp(onQuery: (q: ParsedQuery, conn: NetSocket) => void, port = 0): Promise<FakeTcp> {
  const connections: NetSocket[] = [];
  const server = createServer((conn) => {
    connections.push(conn);
    conn.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    conn.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        onQuery(parseQuery(Buffer.from(msg)), conn);
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const fake: FakeTcp = {
    server,
    port: (server.address() as { port: number }).port,
    connections,
    close: () =>
      new Promise((r) => {
        for (const c of connections) c.destroy();
        server.close(() => r());
      }),
  };
  return fake;
}

export function frame(msg: Buffer): Buffer {
  const f = Buffer.alloc(2 + msg.length);
  f.writeUInt16BE(msg.length, 0);
  msg.copy(f, 2);
  return f;
}
