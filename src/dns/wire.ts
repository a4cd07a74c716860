import { nameToLabels, normalizeName } from '../records/name.js';
import type { Rec } from '../records/record.js';
import { rdataToWire } from './rdata.js';
import { typeNumber } from './types.js';

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
    for (const label of nameToLabels(normalizeName(name))) {
      // normalizeName already lowered ASCII; `canonical` stays for TSIG's explicit intent.
      const b = canonical ? Buffer.from(label.map((c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c))) : label;
      this.u8(b.length).bytes(b);
    }
    return this.u8(0);
  }

  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

/** RDATA of a record in wire form (no compression: UPDATE messages need none). Every type: see rdata.ts. */
export function rdataWire(r: Pick<Rec, 'type' | 'rdata'>): Buffer {
  try {
    return rdataToWire(r.type, r.rdata);
  } catch (e) {
    throw new Error(`bad ${r.type} rdata ${r.rdata}: ${(e as Error).message}`);
  }
}

export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;

export function typeCode(type: string): number {
  const code = typeNumber(type);
  if (code === undefined) throw new Error(`unknown type ${type}`);
  return code;
}
