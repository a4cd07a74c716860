import { connect } from 'node:net';
import { serverLabel, type Server } from './transport.js';

/**
 * Sends one message over TCP and hands every framed reply to `onMessage` until it returns
 * true (done). Used for UPDATE (one reply) and AXFR (a stream of replies).
 *
 * `timeoutMs` is a total deadline for the whole exchange (connect, send, every reply), not
 * an idle timeout: a server that drips a byte at a time or streams replies that never
 * finish the exchange is cut off when it passes. A rejection carries `sent`: whether the
 * connection was made and the message written (after that, its effect is unknown).
 */
export function tcpExchange(server: Server, message: Buffer, timeoutMs: number, onMessage: (msg: Buffer) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    const frame = Buffer.alloc(2 + message.length);
    frame.writeUInt16BE(message.length, 0);
    message.copy(frame, 2);
    let buffered = Buffer.alloc(0);
    let received = 0;
    let messages = 0;
    let settled = false;
    /** whether the message went out: a failure after that leaves its effect unknown (an UPDATE may have been applied) */
    let sent = false;
    const end = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(Object.assign(err, { sent }));
      else resolve();
    };
    const timer = setTimeout(
      () => end(new Error(`nameserver ${serverLabel(server)}: no complete answer within ${timeoutMs} ms over TCP (${messages} message(s), ${received} bytes received)`)),
      timeoutMs,
    );
    socket.on('connect', () => {
      sent = true;
      socket.write(frame);
    });
    socket.on('data', (chunk) => {
      received += chunk.length;
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const len = buffered.readUInt16BE(0);
        const msg = Buffer.from(buffered.subarray(2, 2 + len));
        buffered = buffered.subarray(2 + len);
        messages++;
        try {
          if (onMessage(msg)) return end();
        } catch (e) {
          return end(e as Error);
        }
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) =>
      end(Object.assign(new Error(err.code === 'ECONNREFUSED' ? `${serverLabel(server)}: connection refused (is the server running?)` : `${serverLabel(server)}: ${err.message}`), { code: err.code })),
    );
    socket.on('close', () => end(new Error(`${serverLabel(server)} closed the connection before answering`)));
  });
}
