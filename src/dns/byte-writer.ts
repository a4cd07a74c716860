/**
 * The one growable big-endian byte writer every DNS encoder in srvctl builds on: message
 * encoding (codec.ts's MessageWriter adds name compression), rdata (rdata.ts) and the
 * messages srvctl signs itself (wire.ts: UPDATE, TSIG). A single buffer grown by doubling,
 * so writing is linear in the output. `length` is the write position; encoders that patch
 * a length field or roll back an over-long record set it back themselves.
 */
export class ByteWriter {
  buf: Buffer;
  length = 0;

  constructor(size = 512) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v;
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

  /** 48 bits (TSIG's time signed). */
  u48(v: number): this {
    return this.u16(Math.floor(v / 2 ** 32)).u32(v % 2 ** 32);
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** What was written, as a view of the buffer (valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** What was written, as a buffer of its own. */
  done(): Buffer {
    return Buffer.from(this.view());
  }
}
