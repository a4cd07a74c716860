import { createSocket, type Socket } from 'node:dgram';
import { isIP, connect } from 'node:net';
import { normalizeName } from '../records/name.js';
import type { Rec } from '../records/record.js';
import { decodeMessage, rcodeName, TYPE, type Message } from './codec.js';
import { encodeQueryMessage, randomBytesFast, randomId, readReplyEdns, readReplyHead, sameNameIgnoringCase, wireNameRandomCase, type ReplyHead } from './question.js';

/**
 * One question to one server, the way a verifier needs it: RD off, EDNS0, TCP after TC=1,
 * and hard deadlines — each UDP try ends after `timeoutMs` whatever arrives meanwhile, and
 * the whole query (TCP included) after `timeoutMs × (retries + 1)`, so a server dripping
 * bytes or flooding wrong-ID replies cannot stretch it.
 *
 * A reply is accepted only from that server (connected sockets: the kernel filters the
 * source), with the ID of one of our tries, our question spelt in exactly the random case
 * we sent (0x20), and — once the server has shown it speaks DNS COOKIEs (RFC 7873) — our
 * client cookie. A reply that passes ID and source but folds the case or drops the cookie
 * is suspicious (a server that does not echo the case, or a forger who guessed the ID):
 * the query is asked again over TCP, which an off-path forger cannot answer.
 *
 * Sockets are shared: per server a small rotating set of connected UDP sockets, each
 * carrying at most SOCKET_QUERIES queries (IDs demultiplexed) before a fresh socket with a
 * new kernel-chosen random port takes over, so the source port keeps changing without a
 * socket per query.
 */
export interface Server {
  host: string; // an IP address
  port: number;
}

export interface QueryOptions {
  /** deadline of one UDP try, and the unit of the whole query's deadline */
  timeoutMs: number;
  retries: number;
  /** a tighter deadline for the TCP exchange (never longer than what the query has left) */
  tcpTimeoutMs?: number;
  /** EDNS0 UDP payload size to advertise; 0 sends no OPT record */
  ednsSize?: number;
  rd?: boolean;
  tcp?: boolean;
}

export interface Answer {
  server: Server;
  rcode: string;
  aa: boolean;
  tc: boolean;
  answers: Rec[];
  authority: Rec[];
  additional: Rec[];
  transport: 'udp' | 'tcp';
  tries: number;
  rttMs: number;
  /** replies dropped because ID, question, cookie or source did not match */
  ignored: number;
}

export type QueryFailure = 'timeout' | 'unreachable' | 'malformed';

export class DnsQueryError extends Error {
  constructor(
    readonly kind: QueryFailure,
    readonly server: Server,
    message: string,
    /** the errno behind an 'unreachable' (ECONNREFUSED: nothing listens, no point waiting) */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** IP version of an address (0: not one), remembered: it is asked several times per query. */
const families = new Map<string, number>();
function ipFamily(host: string): number {
  let v = families.get(host);
  if (v === undefined) {
    v = isIP(host);
    if (families.size >= 1000) families.clear();
    families.set(host, v);
  }
  return v;
}

export function serverLabel(s: Server): string {
  return ipFamily(s.host) === 6 ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

export const DEFAULT_EDNS_SIZE = 1232; // the DNS flag day 2020 size: no IP fragmentation

/** Queries one UDP socket carries before it is retired (its port then changes). */
const SOCKET_QUERIES = 16;
/** An idle socket is closed after this long; sockets never keep the process alive. */
const IDLE_CLOSE_MS = 500;
const BADCOOKIE = 23;

interface Counters {
  wrongId: number;
  badQuestion: number;
  badCookie: number;
  undecodable: number;
}

const total = (c: Counters) => c.wrongId + c.badQuestion + c.badCookie + c.undecodable;

function describeIgnored(c: Counters): string {
  const parts = [
    c.wrongId && `${c.wrongId} wrong-ID`,
    c.badQuestion && `${c.badQuestion} wrong-question`,
    c.badCookie && `${c.badCookie} wrong-cookie`,
    c.undecodable && `${c.undecodable} undecodable`,
  ].filter(Boolean);
  return parts.length ? `${parts.join(', ')} replies ignored` : 'nothing came back';
}

/** What a server has shown of RFC 7873: our client cookie for it (random per process) and its server cookie. */
interface CookieState {
  client: Buffer;
  server?: Buffer;
  /** the server has answered with a cookie: from now on a reply without ours is suspect */
  speaks: boolean;
}
const cookies = new Map<string, CookieState>();
function cookieFor(key: string): CookieState {
  let c = cookies.get(key);
  if (!c) {
    c = { client: randomBytesFast(8), speaks: false };
    cookies.set(key, c);
  }
  return c;
}

/** One try of a pending query, as registered on a socket under its ID. */
interface Attempt {
  id: number;
  wireName: Buffer;
  query: PendingQuery;
}

interface PendingQuery {
  counters: Counters;
  /** called with a reply that passed ID and source */
  onReply(buf: Buffer, head: ReplyHead, attempt: Attempt): void;
  fail(err: DnsQueryError): void;
}

/** A connected UDP socket shared by up to SOCKET_QUERIES queries to one server. */
class Channel {
  readonly socket: Socket;
  readonly attempts = new Map<number, Attempt>();
  assigned = 0;
  closed = false;
  private idle?: NodeJS.Timeout;
  private connected = false;
  private queue: Buffer[] = [];

  constructor(
    readonly pool: ChannelPool,
    readonly server: Server,
  ) {
    this.socket = createSocket({ type: ipFamily(server.host) === 6 ? 'udp6' : 'udp4', lookup: literalLookup });
    this.socket.unref();
    this.socket.on('message', (buf) => this.receive(buf));
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : err.message;
      const e = new DnsQueryError('unreachable', server, `${serverLabel(server)}: ${why}`, err.code);
      for (const q of this.queries()) q.fail(e);
      this.close();
    });
    // connect() makes the kernel drop datagrams from any other source address or port,
    // and report ICMP port-unreachable as ECONNREFUSED instead of silence.
    this.socket.connect(server.port, server.host, () => {
      this.connected = true;
      for (const p of this.queue) this.socket.send(p);
      this.queue = [];
    });
    // With a literal address the bind and connect are done by now (no lookup to wait for):
    // sends need not wait for the 'connect' event on the next tick.
    try {
      this.socket.remoteAddress();
      this.connected = true;
    } catch {
      // still connecting: sends queue until the callback above
    }
  }

  private queries(): Set<PendingQuery> {
    return new Set([...this.attempts.values()].map((a) => a.query));
  }

  newId(): number {
    for (;;) {
      const id = randomId();
      if (!this.attempts.has(id)) return id;
    }
  }

  send(attempt: Attempt, packet: Buffer): void {
    clearTimeout(this.idle);
    this.attempts.set(attempt.id, attempt);
    // No callback: a send error arrives as the socket's 'error' event, and Node can send at once.
    if (this.connected) this.socket.send(packet);
    else this.queue.push(packet);
  }

  forget(id: number): void {
    this.attempts.delete(id);
    if (this.attempts.size > 0 || this.closed) return;
    if (this.assigned >= SOCKET_QUERIES) this.close();
    else {
      this.idle = setTimeout(() => this.close(), IDLE_CLOSE_MS);
      this.idle.unref();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idle);
    this.pool.dropped(this);
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }

  private receive(buf: Buffer): void {
    const head = readReplyHead(buf);
    const attempt = head && head.qr ? this.attempts.get(head.id) : undefined;
    if (!head || !attempt) {
      // Not one of ours: every query waiting here learns that something was ignored.
      for (const q of this.queries()) {
        if (head) q.counters.wrongId++;
        else q.counters.undecodable++;
      }
      return;
    }
    attempt.query.onReply(buf, head, attempt);
  }
}

/** The rotating set of UDP sockets per server. */
class ChannelPool {
  private readonly current = new Map<string, Channel>();

  acquire(server: Server): Channel {
    const key = serverLabel(server);
    let ch = this.current.get(key);
    if (!ch || ch.closed || ch.assigned >= SOCKET_QUERIES) {
      ch = new Channel(this, server);
      this.current.set(key, ch);
    }
    ch.assigned++;
    return ch;
  }

  dropped(ch: Channel): void {
    const key = serverLabel(ch.server);
    if (this.current.get(key) === ch) this.current.delete(key);
  }
}

const pool = new ChannelPool();

/**
 * The sockets' lookup: servers are IP addresses (query() refuses anything else), so the
 * address is its own answer, at once (dns.lookup would defer each bind and connect a tick).
 */
function literalLookup(address: string, family: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  const v = ipFamily(address);
  if (v) callback(null, address, v);
  else callback(Object.assign(new Error(`${address} is not an IP address`), { code: 'EINVAL' }), address, 0);
}

export async function query(server: Server, qname: string, qtype: string, opts: QueryOptions): Promise<Answer> {
  const family = ipFamily(server.host);
  if (family === 0) throw new DnsQueryError('unreachable', server, `${server.host} is not an IP address`);
  const type = TYPE[qtype];
  if (type === undefined) throw new Error(`unknown query type ${qtype}`);
  const name = normalizeName(qname);
  const started = Date.now();
  const deadline = started + opts.timeoutMs * (opts.retries + 1);
  const tcpBudget = () => Math.max(1, Math.min(opts.tcpTimeoutMs ?? Infinity, deadline - Date.now()));
  const what = `${name} ${typeNameOf(type)}`;
  if (opts.tcp) return finish(await tcpQuery(server, name, type, what, opts, tcpBudget()), 'tcp', 1);
  const udp = await udpQuery(server, name, type, what, opts);
  if (udp.msg && !udp.msg.tc) return finish({ msg: udp.msg, ignored: udp.ignored }, 'udp', udp.tries);
  const tcp = await tcpQuery(server, name, type, what, opts, tcpBudget());
  return finish({ msg: tcp.msg, ignored: udp.ignored + tcp.ignored }, 'tcp', udp.tries + 1);

  function finish(r: { msg: Message; ignored: number }, transport: 'udp' | 'tcp', tries: number): Answer {
    return {
      server,
      rcode: rcodeName(r.msg.rcode),
      aa: r.msg.aa,
      tc: r.msg.tc,
      answers: r.msg.answers,
      authority: r.msg.authority,
      additional: r.msg.additional,
      transport,
      tries,
      rttMs: Date.now() - started,
      ignored: r.ignored,
    };
  }
}

/** UDP tries; resolves with the message, or without one when a suspect reply sends the query to TCP. */
function udpQuery(server: Server, name: string, type: number, what: string, opts: QueryOptions): Promise<{ msg?: Message; ignored: number; tries: number }> {
  return new Promise((resolve, reject) => {
    const key = serverLabel(server);
    const cookie = cookieFor(key);
    const ednsSize = opts.ednsSize ?? DEFAULT_EDNS_SIZE;
    const counters: Counters = { wrongId: 0, badQuestion: 0, badCookie: 0, undecodable: 0 };
    const mine: { ch: Channel; id: number }[] = [];
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let badCookieRetried = false;
    const end = (err: DnsQueryError | null, msg?: Message) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const { ch, id } of mine) ch.forget(id);
      if (err) reject(err);
      else resolve({ msg, ignored: total(counters), tries });
    };
    const pending: PendingQuery = {
      counters,
      fail: (err) => end(err),
      onReply: (buf, head, attempt) => {
        if (head.qdcount !== 1 || !head.qname || head.qtype !== type || head.qclass !== 1 || !sameNameIgnoringCase(head.qname, attempt.wireName)) {
          counters.badQuestion++;
          return;
        }
        const edns = readReplyEdns(buf, head);
        if (!edns) {
          counters.undecodable++;
          return;
        }
        if (edns.cookie) {
          if (edns.cookie.length < 8 || !edns.cookie.subarray(0, 8).equals(cookie.client)) {
            counters.badCookie++;
            return;
          }
          cookie.speaks = true;
          if (edns.cookie.length >= 16 && edns.cookie.length <= 40) cookie.server = Buffer.from(edns.cookie.subarray(8));
        }
        // Right ID from the right place, but the case folded or the cookie missing: maybe
        // a server that does not echo the question (or dropped EDNS), maybe a forger who
        // guessed the ID. TCP tells them apart.
        if (!head.qname.equals(attempt.wireName) || (cookie.speaks && !edns.cookie && ednsSize > 0)) {
          end(null);
          return;
        }
        if (edns.extendedRcode === BADCOOKIE && !badCookieRetried) {
          // RFC 7873 §5.3: the reply carries a fresh server cookie; ask again with it, once.
          badCookieRetried = true;
          sendTry();
          return;
        }
        let msg: Message;
        try {
          msg = decodeMessage(buf);
        } catch {
          counters.undecodable++;
          return;
        }
        end(null, msg);
      },
    };
    const sendTry = () => {
      const ch = pool.acquire(server);
      const id = ch.newId();
      const wireName = wireNameRandomCase(name, true);
      const packet = encodeQueryMessage({ id, wireName, type, rd: opts.rd ?? false, ednsSize, cookie: ednsSize ? cookie : undefined });
      mine.push({ ch, id });
      ch.send({ id, wireName, query: pending }, packet);
    };
    const next = () => {
      if (done) return;
      if (tries > opts.retries) {
        const spent = tries * opts.timeoutMs;
        end(new DnsQueryError('timeout', server, `no answer from ${serverLabel(server)} for ${what} after ${tries} tries of ${opts.timeoutMs} ms (nameserver ${serverLabel(server)}: no valid answer within ${spent} ms; ${describeIgnored(counters)})`));
        return;
      }
      tries++;
      try {
        sendTry();
      } catch (e) {
        end(new DnsQueryError('malformed', server, `cannot ask ${serverLabel(server)} for ${what}: ${(e as Error).message}`));
        return;
      }
      timer = setTimeout(next, opts.timeoutMs);
    };
    next();
  });
}

/** One TCP exchange under a total deadline: connect, send, and a matching reply, all within `budgetMs`. */
function tcpQuery(server: Server, name: string, type: number, what: string, opts: QueryOptions, budgetMs: number): Promise<{ msg: Message; ignored: number }> {
  return new Promise((resolve, reject) => {
    const id = randomId();
    // 0x20 is pointless over TCP (no off-path forger), and servers that fold case land here.
    const wireName = wireNameRandomCase(name, false);
    const packet = encodeQueryMessage({ id, wireName, type, rd: opts.rd ?? false, ednsSize: opts.ednsSize ?? DEFAULT_EDNS_SIZE });
    const frame = Buffer.alloc(2 + packet.length);
    frame.writeUInt16BE(packet.length, 0);
    packet.copy(frame, 2);
    const socket = connect({ host: server.host, port: server.port });
    const counters: Counters = { wrongId: 0, badQuestion: 0, badCookie: 0, undecodable: 0 };
    let buffered = Buffer.alloc(0);
    let received = 0;
    let done = false;
    const end = (err: Error | null, msg?: Message) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve({ msg: msg!, ignored: total(counters) });
    };
    const timer = setTimeout(
      () => end(new DnsQueryError('timeout', server, `no answer over TCP from ${serverLabel(server)} for ${what} (nameserver ${serverLabel(server)}: no valid answer within ${budgetMs} ms; ${received} bytes received, ${describeIgnored(counters)})`)),
      budgetMs,
    );
    socket.on('connect', () => socket.write(frame));
    socket.on('data', (chunk) => {
      received += chunk.length;
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) return;
        const body = Buffer.from(buffered.subarray(2, 2 + len));
        buffered = buffered.subarray(2 + len);
        const head = readReplyHead(body);
        if (!head || !head.qr || head.id !== id) {
          if (head) counters.wrongId++;
          else counters.undecodable++;
          continue;
        }
        if (head.qdcount !== 1 || !head.qname || head.qtype !== type || head.qclass !== 1 || !sameNameIgnoringCase(head.qname, wireName)) {
          counters.badQuestion++;
          continue;
        }
        let msg: Message;
        try {
          msg = decodeMessage(body);
        } catch {
          end(new DnsQueryError('malformed', server, `${serverLabel(server)} sent an undecodable TCP reply`));
          return;
        }
        end(null, msg);
        return;
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : err.message;
      end(new DnsQueryError('unreachable', server, `${serverLabel(server)} (TCP): ${why}`, err.code));
    });
    socket.on('close', () => end(new DnsQueryError('malformed', server, `${serverLabel(server)} closed the TCP connection without an answer`)));
  });
}

const TYPE_NAMES = new Map(Object.entries(TYPE).map(([k, v]) => [v, k]));
function typeNameOf(code: number): string {
  return TYPE_NAMES.get(code) ?? String(code);
}
