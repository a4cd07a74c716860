import { connect } from 'node:net';
import { serverLabel, type Server } from './transport.js';

/**
 * Sends one message over TCP and hands every framed reply to `onMessage` until it returns
 * true (done). Used for UPDATE (one reply) and AXFR (a stream of replies).
 */
export function tcpExchange(server: Server, message: Buffer, timeoutMs: number, onMessage: (msg: Buffer) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    const frame = Buffer.alloc(2 + message.length);
    frame.writeUInt16BE(message.length, 0);
    message.copy(frame, 2);
    let buffered = Buffer.alloc(0);
    let settled = false;
    const end = (err?: Error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => end(new Error(`no answer from ${serverLabel(server)} within ${timeoutMs} ms (TCP)`)));
    socket.on('connect', () => socket.write(frame));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const len = buffered.readUInt16BE(0);
        const msg = Buffer.from(buffered.subarray(2, 2 + len));
        buffered = buffered.subarray(2 + len);
        try {
          if (onMessage(msg)) return end();
        } catch (e) {
          return end(e as Error);
        }
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) =>
      end(new Error(err.code === 'ECONNREFUSED' ? `${serverLabel(server)}: connection refused (is the server running?)` : `${serverLabel(server)}: ${err.message}`)),
    );
    socket.on('close', () => end(new Error(`${serverLabel(server)} closed the connection before answering`)));
  });
}
