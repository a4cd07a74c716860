import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { decodeMessage } from '../../src/dns/codec.js';
import { recordText } from '../../src/records/record.js';

/** One query to 127.0.0.1:port over UDP or TCP; the raw reply, or null after 2 s. */
export function exchange(port: number, packet: Buffer, tcp = false): Promise<Buffer | null> {
  return new Promise((resolve) => {
    if (tcp) {
      const sock = connect(port, '127.0.0.1');
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => {
        sock.destroy();
        resolve(null);
      }, 2000);
      sock.on('connect', () => {
        const f = Buffer.alloc(2 + packet.length);
        f.writeUInt16BE(packet.length);
        packet.copy(f, 2);
        sock.write(f);
      });
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          clearTimeout(timer);
          sock.destroy();
          resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        }
      });
      sock.on('error', () => {
        clearTimeout(timer);
        resolve(null);
      });
      return;
    }
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(null);
    }, 2000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(packet, port, '127.0.0.1');
  });
}

/** What a reply says, in a form to compare across servers (record order within a section ignored). */
export function view(reply: Buffer | null): Record<string, unknown> {
  if (!reply) return { reply: 'none' };
  const m = decodeMessage(reply);
  const sec = (list: { name: string; type: string; ttl: number; rdata: string }[]) => list.map((r) => recordText(r)).sort();
  return {
    rcode: m.rcode,
    aa: m.aa,
    tc: m.tc,
    question: m.questions.map((q) => `${q.wireName} ${q.type} ${q.class}`),
    answer: sec(m.answers),
    authority: sec(m.authority),
    additional: sec(m.additional),
    edns: m.edns ? { version: m.edns.version, do: m.edns.do } : null,
    errors: m.errors,
  };
}
