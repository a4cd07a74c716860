import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIP, connect } from 'node:net';
import { normalizeName } from '../records/name.js';
import type { Rec } from '../records/record.js';
import { decodeMessage, encodeQuery, rcodeName, TYPE, type Message } from './codec.js';

/**
 * One question to one server, the way a verifier needs it: RD off, per-try timeout,
 * retries, EDNS0, TCP after TC=1 (with its own timeout), random IDs, and a reply is
 * accepted only from that server with one of our IDs and our question.
 */
export interface Server {
  host: string; // an IP address
  port: number;
}

export interface QueryOptions {
  timeoutMs: number;
  retries: number;
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
  /** replies dropped because ID, question or source did not match */
  ignored: number;
}

export type QueryFailure = 'timeout' | 'unreachable' | 'malformed';

export class DnsQueryError extends Error {
  constructor(
    readonly kind: QueryFailure,
    readonly server: Server,
    message: string,
  ) {
    super(message);
  }
}

export function serverLabel(s: Server): string {
  return isIP(s.host) === 6 ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

export const DEFAULT_EDNS_SIZE = 1232; // the DNS flag day 2020 size: no IP fragmentation

function matches(msg: Message, ids: Set<number>, name: string, type: number): boolean {
  if (!msg.qr || !ids.has(msg.id)) return false;
  const q = msg.questions[0];
  // RFC 5452 §9: a reply must echo the question; case is compared loosely (0x20 bits).
  return msg.questions.length === 1 && q!.name === name && q!.type === type && q!.class === 1;
}

export async function query(server: Server, qname: string, qtype: string, opts: QueryOptions): Promise<Answer> {
  const family = isIP(server.host);
  if (family === 0) throw new DnsQueryError('unreachable', server, `${server.host} is not an IP address`);
  const type = TYPE[qtype];
  if (type === undefined) throw new Error(`unknown query type ${qtype}`);
  const name = normalizeName(qname);
  const started = Date.now();
  if (opts.tcp) return finish(await tcpQuery(server, name, type, opts), 'tcp', 1);
  const udp = await udpQuery(server, name, type, opts, family);
  if (!udp.msg.tc) return finish(udp, 'udp', udp.tries);
  return finish(await tcpQuery(server, name, type, opts), 'tcp', udp.tries + 1);

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

function udpQuery(server: Server, name: string, type: number, opts: QueryOptions, family: number): Promise<{ msg: Message; ignored: number; tries: number }> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    const ids = new Set<number>();
    let tries = 0;
    let ignored = 0;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const end = (err: Error | null, msg?: Message) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve({ msg: msg!, ignored, tries });
    };
    const send = () => {
      if (tries > opts.retries) {
        end(new DnsQueryError('timeout', server, `no answer from ${serverLabel(server)} for ${name} ${typeNameOf(type)} after ${tries} tries of ${opts.timeoutMs} ms`));
        return;
      }
      tries++;
      const id = randomInt(0, 65536);
      ids.add(id);
      const packet = encodeQuery(id, name, type, { rd: opts.rd ?? false, ednsSize: opts.ednsSize ?? DEFAULT_EDNS_SIZE });
      socket.send(packet, (err) => {
        if (err) end(new DnsQueryError('unreachable', server, `cannot send to ${serverLabel(server)}: ${err.message}`));
      });
      timer = setTimeout(send, opts.timeoutMs);
    };
    socket.on('message', (buf) => {
      let msg: Message;
      try {
        msg = decodeMessage(buf);
      } catch {
        ignored++;
        return;
      }
      if (!matches(msg, ids, name, type)) {
        ignored++;
        return;
      }
      end(null, msg);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : err.message;
      end(new DnsQueryError('unreachable', server, `${serverLabel(server)}: ${why}`));
    });
    // connect() makes the kernel drop datagrams from any other source address or port.
    socket.connect(server.port, server.host, () => send());
  });
}

function tcpQuery(server: Server, name: string, type: number, opts: QueryOptions): Promise<{ msg: Message; ignored: number }> {
  return new Promise((resolve, reject) => {
    const id = randomInt(0, 65536);
    const query = encodeQuery(id, name, type, { rd: opts.rd ?? false, ednsSize: opts.ednsSize ?? DEFAULT_EDNS_SIZE });
    const frame = Buffer.alloc(2 + query.length);
    frame.writeUInt16BE(query.length, 0);
    query.copy(frame, 2);
    const socket = connect({ host: server.host, port: server.port });
    let buffered = Buffer.alloc(0);
    let ignored = 0;
    let done = false;
    const end = (err: Error | null, msg?: Message) => {
      if (done) return;
      done = true;
      socket.destroy();
      if (err) reject(err);
      else resolve({ msg: msg!, ignored });
    };
    socket.setTimeout(opts.tcpTimeoutMs ?? opts.timeoutMs * (opts.retries + 1), () =>
      end(new DnsQueryError('timeout', server, `no answer over TCP from ${serverLabel(server)} for ${name} ${typeNameOf(type)}`)),
    );
    socket.on('connect', () => socket.write(frame));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) return;
        const body = buffered.subarray(2, 2 + len);
        buffered = buffered.subarray(2 + len);
        let msg: Message;
        try {
          msg = decodeMessage(Buffer.from(body));
        } catch {
          end(new DnsQueryError('malformed', server, `${serverLabel(server)} sent an undecodable TCP reply`));
          return;
        }
        if (matches(msg, new Set([id]), name, type)) {
          end(null, msg);
          return;
        }
        ignored++;
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : err.message;
      end(new DnsQueryError('unreachable', server, `${serverLabel(server)} (TCP): ${why}`));
    });
    socket.on('close', () => end(new DnsQueryError('malformed', server, `${serverLabel(server)} closed the TCP connection without an answer`)));
  });
}

function typeNameOf(code: number): string {
  return Object.entries(TYPE).find(([, v]) => v === code)?.[0] ?? String(code);
}
