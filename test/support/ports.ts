import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** A loopback port free for both UDP and TCP right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const tcp = createServer();
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const port = (tcp.address() as { port: number }).port;
    const udp = createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      udp.once('error', () => r(false));
      udp.bind(port, '127.0.0.1', () => r(true));
    });
    udp.close();
    await new Promise<void>((r) => tcp.close(() => r()));
    if (ok) return port;
  }
}
