import { createSocket, type Socket } from 'node:dgram';
import { createServer, isIP, type Server as TcpServer, type Socket as TcpSocket } from 'node:net';
import type { Authority } from './authority.js';
import { decodeMessage, encodeBareResponse, encodeResponse, RCODE, type Message, type ResponseSpec } from './codec.js';

export interface ServerOptions {
  host: string;
  port: number; // 0 picks a free port (UDP and TCP share it)
  /** called once per query, for logs and counters */
  onQuery?: (q: Message | null, rcode: number, transport: 'udp' | 'tcp') => void;
}

export interface RunningServer {
  host: string;
  port: number;
  /** replace the zone being served (after the zone file changed) */
  swap(authority: Authority): void;
  close(): Promise<void>;
}

const UDP_RECV_BUFFER = 4 * 1024 * 1024;
const TCP_IDLE_MS = 10_000;

/**
 * Serves one Authority over UDP and TCP. Garbage with a readable ID gets FORMERR, a
 * failing handler gets SERVFAIL (never silence), and a UDP answer larger than the
 * client can take is sent as TC=1 without records, so the server amplifies nothing.
 */
export async function startServer(initial: Authority, opts: ServerOptions): Promise<RunningServer> {
  let authority = initial;
  const family = isIP(opts.host) === 6 ? 'udp6' : 'udp4';

  const respond = (buf: Buffer, transport: 'udp' | 'tcp'): Buffer | null => {
    let q: Message;
    try {
      q = decodeMessage(buf);
    } catch {
      opts.onQuery?.(null, RCODE.FORMERR!, transport);
      return buf.length >= 12 && !(buf[2]! & 0x80) ? encodeBareResponse(buf.readUInt16BE(0), RCODE.FORMERR!) : null;
    }
    if (q.qr) return null; // never answer a response: that is how reflection loops start
    let spec: ResponseSpec;
    try {
      spec = q.errors.length > 0 && q.questions.length === 0 ? { ...bare(q), rcode: RCODE.FORMERR! } : authority.answer(q);
      if (q.ednsSize) spec.ednsSize = 1232;
      const limit = transport === 'tcp' ? 65535 : Math.min(q.ednsSize ?? 512, 4096);
      const out = encodeResponse(spec, { maxSize: limit });
      opts.onQuery?.(q, spec.rcode, transport);
      // Additional records that do not fit are dropped quietly; when answer or authority do
      // not fit, TC=1 goes out without records, so the client retries over TCP.
      if (!(out[2]! & 0x02) || spec.tc) return out;
      return encodeResponse({ ...spec, tc: true, answers: [], authority: [], additional: [] });
    } catch {
      opts.onQuery?.(q, RCODE.SERVFAIL!, transport);
      return encodeBareResponse(q.id, RCODE.SERVFAIL!);
    }
  };

  const sockets = new Set<TcpSocket>();
  const onConnection = (sock: TcpSocket) => {
    sockets.add(sock);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    let pending = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) return;
        const out = respond(Buffer.from(pending.subarray(2, 2 + len)), 'tcp');
        pending = pending.subarray(2 + len);
        if (!out) {
          sock.destroy();
          return;
        }
        const frame = Buffer.alloc(2 + out.length);
        frame.writeUInt16BE(out.length, 0);
        out.copy(frame, 2);
        sock.write(frame);
      }
    });
  };

  // UDP and TCP share one port number. With port 0 the kernel picks the UDP port, and that
  // number may be taken for TCP: then pick again, a few times.
  let udp: Socket | undefined;
  let tcp: TcpServer | undefined;
  let port = opts.port;
  for (let attempt = 0; ; attempt++) {
    const u = createSocket({ type: family, reuseAddr: false });
    u.on('message', (buf, rinfo) => {
      const out = respond(buf, 'udp');
      if (out) u.send(out, rinfo.port, rinfo.address);
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
        t.listen(port, opts.host, () => {
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
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        udp!.close(() => tcp!.close(() => resolve()));
      }),
  };
}

function bare(q: Message): ResponseSpec {
  return { id: q.id, opcode: q.opcode, rd: q.rd, aa: false, tc: false, rcode: 0, questions: q.questions, answers: [], authority: [], additional: [] };
}
