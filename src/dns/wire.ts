import { isIPv4, isIPv6 } from 'node:net';
import { normalizeName } from '../records/name.js';
import { canonicalIPv6, parseSrvRdata, parseTxtRdata, type Rec } from '../records/record.js';
import { TYPE } from './codec.js';

/** A growable big-endian byte writer for the messages srvctl builds itself (UPDATE, TSIG). */
export class Wire {
  private buf = Buffer.alloc(512);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.length);
    this.length += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
    return this;
  }

  u48(v: number): this {
    return this.u16(Math.floor(v / 2 ** 32)).u32(v % 2 ** 32);
  }

  bytes(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
    return this;
  }

  /** An uncompressed name; canonical (lower case) when asked, as TSIG digests require. */
  name(name: string, canonical = false): this {
    const n = normalizeName(name);
    for (const label of n === '' ? [] : n.split('.')) {
      const b = Buffer.from(canonical ? label.toLowerCase() : label, 'ascii');
      if (b.length > 63) throw new Error(`label "${label}" is longer than 63 octets`);
      this.u8(b.length).bytes(b);
    }
    return this.u8(0);
  }

  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

/** RDATA of a record in wire form (no compression: UPDATE messages need none). */
export function rdataWire(r: Pick<Rec, 'type' | 'rdata'>): Buffer {
  const w = new Wire();
  switch (r.type) {
    case 'A':
      if (!isIPv4(r.rdata)) throw new Error(`bad A rdata ${r.rdata}`);
      for (const p of r.rdata.split('.')) w.u8(Number(p));
      break;
    case 'AAAA': {
      if (!isIPv6(r.rdata)) throw new Error(`bad AAAA rdata ${r.rdata}`);
      const full = canonicalIPv6(r.rdata);
      const [head, tail] = full.includes('::') ? full.split('::') : [full, undefined];
      const h = head ? head.split(':') : [];
      const t = tail ? tail.split(':') : [];
      const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
      for (const g of groups) w.u16(parseInt(g, 16));
      break;
    }
    case 'SRV': {
      const s = parseSrvRdata(r.rdata);
      if (!s) throw new Error(`bad SRV rdata ${r.rdata}`);
      w.u16(s.priority).u16(s.weight).u16(s.port).name(s.target);
      break;
    }
    case 'TXT':
      for (const s of parseTxtRdata(r.rdata)) {
        const b = Buffer.from(s, 'utf8');
        for (let i = 0; i < Math.max(1, b.length); i += 255) {
          const part = b.subarray(i, i + 255);
          w.u8(part.length).bytes(part);
        }
      }
      break;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      w.name(r.rdata);
      break;
    default:
      throw new Error(`srvctl cannot write ${r.type} records`);
  }
  return w.done();
}

export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;

export function typeCode(type: string): number {
  const code = TYPE[type];
  if (code === undefined) throw new Error(`unknown type ${type}`);
  return code;
}
