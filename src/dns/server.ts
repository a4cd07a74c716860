import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { createServer, isIP, type Server as TcpServer, type Socket as TcpSocket } from 'node:net';
import type { Authority } from './authority.js';
import { UdpAnswers } from './udp-answers.js';
import { decodeMessage, encodeBareResponse, encodeResponse, RCODE, type Message, type ResponseSpec } from './codec.js';

export interface ServerOptions {
  host: string;
  port: number; // 0 picks a free port (UDP and TCP share it)
  /** called once per query, for logs and counters */
  onQuery?: (q: Message | null, rcode: number, transport: 'udp' | 'tcp') => void;
  /** TCP limits; the defaults suit a zone server on a small machine */
  tcp?: Partial<TcpLimits>;
  /** let several processes bind the same port (SO_REUSEPORT), for --workers */
  reusePort?: boolean;
}

export interface TcpLimits {
  /** connections open at once, all clients together */
  maxConnections: number;
  /** connections open at once from one address */
  maxPerClient: number;
  /** a connection with nothing to do is closed after this */
  idleMs: number;
  /** a query must arrive whole within this of its first octet (slow-loris) */
  messageMs: number;
  /** answers waiting for a client that does not read: reading it pauses past this… */
  maxPendingBytes: number;
  /** …and the connection is closed when it has not drained within this */
  drainMs: number;
}

const TCP_DEFAULTS: TcpLimits = { maxConnections: 256, maxPerClient: 16, idleMs: 10_000, messageMs: 5_000, maxPendingBytes: 256 * 1024, drainMs: 5_000 };

export interface RunningServer {
  host: string;
  port: number;
  /** replace the zone being served (after the zone file changed) */
  swap(authority: Authority): void;
  close(): Promise<void>;
  /** open TCP connections now, for tests and logs */
  tcpConnections(): number;
}

const UDP_RECV_BUFFER = 4 * 1024 * 1024;
/** UDP answers are at most this many times the query's size (issue 15: no amplifier). */
export const UDP_AMPLIFICATION = 10;
const OUR_EDNS_SIZE = 1232;
const CACHE_ENTRIES = 20_000;

/**
 * Serves one Authority over UDP and TCP. Garbage with a readable ID gets FORMERR, a
 * failing handler gets SERVFAIL (never silence), and a UDP answer larger than the client
 * can take — or than 10× its query — is sent as TC=1 without records, so the server
 * amplifies nothing. Encoded answers are cached per question and EDNS shape.
 */
export async function startServer(initial: Authority, opts: ServerOptions): Promise<RunningServer> {
  let authority = initial;
  let cache = new Map<string, Buffer>();
  /** UDP answers by the raw query's key (udp-answers.ts): a hit never decodes the query. */
  const udpAnswers = new UdpAnswers(CACHE_ENTRIES, UDP_AMPLIFICATION);
  const limits: TcpLimits = { ...TCP_DEFAULTS, ...opts.tcp };
  const family = isIP(opts.host) === 6 ? 'udp6' : 'udp4';

  const fast = !opts.onQuery;
  /** answers respond() cached (so cacheable): only these may enter udpCache */
  const cachedAnswers = new WeakSet<Buffer>();

  const build = (q: Message, transport: 'udp' | 'tcp', limit: number): Buffer => {
    let spec: ResponseSpec;
    const edns = q.edns;
    if (q.formErrors || q.errors.length > 0) {
      spec = { ...bare(q), rcode: RCODE.FORMERR! };
    } else if (edns && edns.version > 0) {
      // RFC 6891 §6.1.3: BADVERS, with the highest version we speak (0).
      spec = { ...bare(q), rcode: RCODE.BADVERS! };
    } else {
      spec = authority.answer(q, transport);
    }
    // RFC 3225: the DO bit is copied into the reply's OPT.
    if (edns && !q.formErrors) spec.edns = { size: OUR_EDNS_SIZE, version: 0, do: edns.do, extendedRcode: 0 };
    const out = encodeResponse(spec, { maxSize: limit });
    // Additional records that do not fit are dropped quietly; when answer or authority do
    // not fit, TC=1 goes out without records, so the client retries over TCP.
    if (!(out[2]! & 0x02) || spec.tc) return out;
    return encodeResponse({ ...spec, tc: true, answers: [], authority: [], additional: [] });
  };

  const respond = (buf: Buffer, transport: 'udp' | 'tcp'): Buffer | null => {
    let q: Message;
    try {
      q = decodeMessage(buf);
    } catch {
      opts.onQuery?.(null, RCODE.FORMERR!, transport);
      return buf.length >= 12 && !(buf[2]! & 0x80) ? encodeBareResponse(buf.readUInt16BE(0), RCODE.FORMERR!) : null;
    }
    if (q.qr) return null; // never answer a response: that is how reflection loops start
    try {
      const limit = transport === 'tcp' ? 65535 : Math.min(q.ednsSize ?? 512, 4096, Math.max(buf.length * UDP_AMPLIFICATION, 12 + buf.length));
      const question = q.questions[0];
      // The cache key is everything the answer depends on; the ID and the question's case
      // are patched in from the query.
      const cacheable = q.questions.length === 1 && q.opcode === 0 && !q.formErrors && q.errors.length === 0;
      const key = cacheable ? `${question!.name}|${question!.type}|${question!.class}|${transport}|${limit}|${q.rd ? 1 : 0}|${q.edns ? `${q.edns.version}.${q.edns.do ? 1 : 0}` : '-'}` : '';
      let out = cacheable ? cache.get(key) : undefined;
      let rcode: number;
      if (out) {
        out = Buffer.from(out);
        out.writeUInt16BE(q.id, 0);
        // The question section has the same length in query and answer: copy the query's octets.
        const qEnd = questionEnd(buf);
        if (qEnd > 0) buf.copy(out, 12, 12, qEnd);
        rcode = out[3]! & 0xf;
      } else {
        out = build(q, transport, limit);
        rcode = out[3]! & 0xf;
        if (cacheable) {
          if (cache.size >= CACHE_ENTRIES) cache.clear();
          cache.set(key, out);
          cachedAnswers.add(out);
        }
      }
      opts.onQuery?.(q, rcode, transport);
      return out;
    } catch {
      opts.onQuery?.(q, RCODE.SERVFAIL!, transport);
      return encodeBareResponse(q.id, RCODE.SERVFAIL!);
    }
  };

  const sockets = new Set<TcpSocket>();
  const perClient = new Map<string, number>();
  const onConnection = (sock: TcpSocket) => {
    const who = sock.remoteAddress ?? '?';
    const mine = perClient.get(who) ?? 0;
    if (sockets.size >= limits.maxConnections || mine >= limits.maxPerClient) {
      sock.destroy();
      return;
    }
    perClient.set(who, mine + 1);
    sockets.add(sock);
    let messageTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    sock.setNoDelay(true);
    sock.setTimeout(limits.idleMs, () => sock.destroy());
    sock.on('close', () => {
      clearTimeout(messageTimer);
      clearTimeout(drainTimer);
      sockets.delete(sock);
      const n = (perClient.get(who) ?? 1) - 1;
      if (n <= 0) perClient.delete(who);
      else perClient.set(who, n);
    });
    sock.on('error', () => sock.destroy());
    let pending = Buffer.alloc(0);
    const work = () => {
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const out = respond(Buffer.from(pending.subarray(2, 2 + len)), 'tcp');
        pending = pending.subarray(2 + len);
        if (!out) {
          sock.destroy();
          return;
        }
        const frame = Buffer.allocUnsafe(2 + out.length);
        frame.writeUInt16BE(out.length, 0);
        out.copy(frame, 2);
        sock.write(frame);
        if (sock.writableLength > limits.maxPendingBytes) {
          // Backpressure: a client that does not read its answers gets no more of our time.
          sock.pause();
          drainTimer = setTimeout(() => sock.destroy(), limits.drainMs);
          sock.once('drain', () => {
            clearTimeout(drainTimer);
            sock.resume();
            work();
          });
          break;
        }
      }
      // A query that trickles in (slow-loris) must arrive whole within messageMs.
      if (pending.length > 0 && !messageTimer) messageTimer = setTimeout(() => sock.destroy(), limits.messageMs);
      else if (pending.length === 0 && messageTimer) {
        clearTimeout(messageTimer);
        messageTimer = undefined;
      }
    };
    sock.on('data', (chunk) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      if (!sock.isPaused()) work();
    });
  };

  // UDP and TCP share one port number. With port 0 the kernel picks the UDP port, and that
  // number may be taken for TCP: then pick again, a few times.
  let udp: Socket | undefined;
  let tcp: TcpServer | undefined;
  let port = opts.port;
  for (let attempt = 0; ; attempt++) {
    const u = createSocket({ type: family, reuseAddr: false, lookup: literalLookup, ...(opts.reusePort ? { reusePort: true } : {}) } as Parameters<typeof createSocket>[0]);
    // The hot path. A query of the plain shape (udp-answers.ts) whose answer is cached costs one
    // copy: the cached answer with the query's ID and question octets (their case, 0x20)
    // patched in. Everything else, and every first query of its kind, goes through respond().
    // With onQuery set every query is decoded, since the callback wants the Message.
    u.on('message', (buf, rinfo) => {
      let out = fast ? udpAnswers.answer(buf) : undefined;
      if (!out) {
        const built = respond(buf, 'udp');
        if (!built) return;
        if (fast && cachedAnswers.has(built)) udpAnswers.store(buf, built);
        out = built;
      }
      u.send(out, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve, reject) => {
      u.once('error', reject);
      u.bind(opts.port, opts.host, () => {
        u.off('error', reject);
        resolve();
      });
    });
    u.on('error', () => undefined); // a send to a vanished client must not stop the server
    port = u.address().port;
    const t = createServer(onConnection);
    try {
      await new Promise<void>((resolve, reject) => {
        t.once('error', reject);
        t.listen({ port, host: opts.host, ...(opts.reusePort ? { reusePort: true } : {}) } as Parameters<TcpServer['listen']>[0], () => {
          t.off('error', reject);
          resolve();
        });
      });
      udp = u;
      tcp = t;
      break;
    } catch (e) {
      u.close();
      if (opts.port !== 0 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw e;
    }
  }
  try {
    udp.setRecvBufferSize(UDP_RECV_BUFFER);
  } catch {
    // the kernel may cap it (net.core.rmem_max); the default still works, only drops sooner
  }

  return {
    host: opts.host,
    port,
    swap(next) {
      authority = next;
      cache = new Map();
      udpAnswers.clear();
    },
    tcpConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        udp!.close(() => tcp!.close(() => resolve()));
      }),
  };
}

/**
 * Replies go to the address the query came from, always a numeric IP: answered at once,
 * not through dns.lookup (which defers every send to the next tick).
 */
function literalLookup(address: string, family: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  const v = isIP(address);
  if (v) callback(null, address, v);
  else dnsLookup(address, family as number, callback as never);
}

/** End of the (single) question section of a query, or 0 when it does not parse simply. */
function questionEnd(buf: Buffer): number {
  if (buf.readUInt16BE(4) !== 1) return 0;
  let o = 12;
  while (o < buf.length) {
    const l = buf[o]!;
    if (l === 0) return o + 5 <= buf.length ? o + 5 : 0;
    if (l & 0xc0) return 0;
    o += 1 + l;
  }
  return 0;
}

function bare(q: Message): ResponseSpec {
  return { id: q.id, opcode: q.opcode, rd: q.rd, aa: false, tc: false, rcode: 0, questions: q.questions, answers: [], authority: [], additional: [] };
}
