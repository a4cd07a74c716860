import { createHmac, timingSafeEqual } from 'node:crypto';
import { normalizeName } from '../records/name.js';
import { CLASS, Wire } from './wire.js';

/**
 * TSIG (RFC 8945): HMAC over the message and the TSIG variables. dns2 knows nothing of
 * type 250, so srvctl signs its own messages and checks the server's signature.
 */
export type TsigAlgorithm = 'hmac-sha256' | 'hmac-sha512' | 'hmac-sha1';

export interface TsigKey {
  name: string;
  algorithm: TsigAlgorithm;
  secret: Buffer;
}

const HASH: Record<TsigAlgorithm, string> = { 'hmac-sha256': 'sha256', 'hmac-sha512': 'sha512', 'hmac-sha1': 'sha1' };
const TYPE_TSIG = 250;
export const DEFAULT_FUDGE = 300;

export const TSIG_ERRORS: Record<number, string> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' };

function hmac(key: TsigKey, parts: Buffer[]): Buffer {
  const h = createHmac(HASH[key.algorithm], key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

function variables(key: TsigKey, algorithm: string, time: number, fudge: number, error: number, other: Buffer): Buffer {
  return new Wire().name(key.name, true).u16(CLASS.ANY).u32(0).name(algorithm, true).u48(time).u16(fudge).u16(error).u16(other.length).bytes(other).done();
}

function timers(time: number, fudge: number): Buffer {
  return new Wire().u48(time).u16(fudge).done();
}

/** Appends a TSIG record to a complete message; returns the signed message and its MAC. */
export function signMessage(message: Buffer, key: TsigKey, time: number, fudge = DEFAULT_FUDGE): { signed: Buffer; mac: Buffer } {
  const mac = hmac(key, [message, variables(key, key.algorithm, time, fudge, 0, Buffer.alloc(0))]);
  const rdata = new Wire().name(key.algorithm).u48(time).u16(fudge).u16(mac.length).bytes(mac).u16(message.readUInt16BE(0)).u16(0).u16(0).done();
  const rr = new Wire().name(key.name).u16(TYPE_TSIG).u16(CLASS.ANY).u32(0).u16(rdata.length).bytes(rdata).done();
  const signed = Buffer.concat([message, rr]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { signed, mac };
}

interface TsigRecord {
  start: number; // offset of the TSIG RR
  keyName: string;
  algorithm: string;
  time: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

function readName(buf: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  for (let hops = 0; hops < 128; hops++) {
    if (pos >= buf.length) throw new Error('name runs past the message');
    const len = buf[pos]!;
    if ((len & 0xc0) === 0xc0) {
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1]!;
      continue;
    }
    if (len === 0) return { name: labels.join('.'), next: next < 0 ? pos + 1 : next };
    labels.push(buf.toString('ascii', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  throw new Error('name compression loop');
}

/** Finds the TSIG record, which must be the last record of the additional section. */
export function findTsig(buf: Buffer): TsigRecord | null {
  if (buf.length < 12) return null;
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  let pos = 12;
  for (let i = 0; i < counts[0]!; i++) pos = readName(buf, pos).next + 4;
  const rrs = counts[1]! + counts[2]! + counts[3]!;
  for (let i = 0; i < rrs; i++) {
    const start = pos;
    const owner = readName(buf, pos);
    pos = owner.next;
    const type = buf.readUInt16BE(pos);
    const rdlen = buf.readUInt16BE(pos + 8);
    const rdata = pos + 10;
    pos = rdata + rdlen;
    if (i === rrs - 1 && type === TYPE_TSIG) {
      const alg = readName(buf, rdata);
      let p = alg.next;
      const time = buf.readUInt16BE(p) * 2 ** 32 + buf.readUInt32BE(p + 2);
      const fudge = buf.readUInt16BE(p + 6);
      const macSize = buf.readUInt16BE(p + 8);
      const mac = buf.subarray(p + 10, p + 10 + macSize);
      p += 10 + macSize;
      const originalId = buf.readUInt16BE(p);
      const error = buf.readUInt16BE(p + 2);
      const otherLen = buf.readUInt16BE(p + 4);
      return { start, keyName: normalizeName(owner.name), algorithm: normalizeName(alg.name), time, fudge, mac: Buffer.from(mac), originalId, error, other: Buffer.from(buf.subarray(p + 6, p + 6 + otherLen)) };
    }
  }
  return null;
}

/** The message as it was before the TSIG was added: without it, ARCOUNT one less, original ID. */
function stripped(buf: Buffer, t: TsigRecord): Buffer {
  const m = Buffer.from(buf.subarray(0, t.start));
  m.writeUInt16BE(buf.readUInt16BE(10) - 1, 10);
  m.writeUInt16BE(t.originalId, 0);
  return m;
}

export type TsigVerdict = { ok: true; mac: Buffer } | { ok: false; problem: string; tsigError?: string };

function macPrefix(mac: Buffer): Buffer {
  return Buffer.concat([new Wire().u16(mac.length).done(), mac]);
}

function judgeTime(t: TsigRecord, now: number): string | null {
  return Math.abs(now - t.time) > t.fudge ? `the response was signed at ${t.time}, ${Math.abs(now - t.time)} s away from this clock (fudge ${t.fudge} s)` : null;
}

/** Checks a response's TSIG against the request's MAC (RFC 8945 §5.3). */
export function verifyResponse(buf: Buffer, key: TsigKey, requestMac: Buffer, now: number): TsigVerdict {
  const t = findTsig(buf);
  if (!t) return { ok: false, problem: 'the response is not signed' };
  if (t.error) return { ok: false, problem: `the server reports ${TSIG_ERRORS[t.error] ?? `TSIG error ${t.error}`}`, tsigError: TSIG_ERRORS[t.error] ?? String(t.error) };
  if (t.keyName !== normalizeName(key.name) || t.algorithm !== key.algorithm) return { ok: false, problem: `the response is signed with ${t.keyName} (${t.algorithm}), not ${key.name}` };
  const expected = hmac(key, [macPrefix(requestMac), stripped(buf, t), variables(key, t.algorithm, t.time, t.fudge, t.error, t.other)]);
  if (expected.length !== t.mac.length || !timingSafeEqual(expected, t.mac)) return { ok: false, problem: "the response's signature does not verify" };
  const late = judgeTime(t, now);
  if (late) return { ok: false, problem: late };
  return { ok: true, mac: t.mac };
}

/**
 * A zone transfer is a stream: the first message is verified like any response, later
 * ones over the previous MAC, the unsigned messages since, and the timers (§5.3.1).
 */
export class TsigStream {
  private previous: Buffer;
  private pending: Buffer[] = [];
  private first = true;
  constructor(
    private readonly key: TsigKey,
    requestMac: Buffer,
  ) {
    this.previous = requestMac;
  }

  /** Feeds one message; returns a problem, or null when it (or its successor) verifies. */
  feed(buf: Buffer, now: number): string | null {
    const t = findTsig(buf);
    if (!t) {
      if (this.first) return 'the first message of the transfer is not signed';
      this.pending.push(buf);
      if (this.pending.length >= 100) return 'more than 99 unsigned messages in a row';
      return null;
    }
    if (this.first) {
      const v = verifyResponse(buf, this.key, this.previous, now);
      if (!v.ok) return v.problem;
      this.previous = v.mac;
      this.first = false;
      return null;
    }
    const expected = hmac(this.key, [macPrefix(this.previous), ...this.pending, stripped(buf, t), timers(t.time, t.fudge)]);
    if (expected.length !== t.mac.length || !timingSafeEqual(expected, t.mac)) return 'a later message of the transfer does not verify';
    this.previous = t.mac;
    this.pending = [];
    return judgeTime(t, now);
  }

  /** The stream must end on a signed message. */
  complete(): boolean {
    return !this.first && this.pending.length === 0;
  }
}

/** Decodes a base64 secret as tsig-keygen writes it; throws with a message that shows no secret. */
export function parseSecret(text: string, where: string): Buffer {
  const s = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length % 4 !== 0) throw new Error(`${where} does not hold a base64 TSIG secret`);
  return Buffer.from(s, 'base64');
}
