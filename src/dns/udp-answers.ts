/**
 * The embedded server's table of encoded UDP answers, looked up from a query's raw octets
 * before (and instead of) decoding it. Only queries of the plain shape are looked up:
 * header with QR=0 and opcode 0, one question, no answer or authority records, at most
 * one OPT record (root owner) in additional, nothing after it, and a name without octets
 * of 0x80 or above. The key is all a cached answer depends on: the question's octets with
 * ASCII case folded in the name (QTYPE and QCLASS compared as they are), RD, the EDNS
 * version and DO bit, and the size limit of the answer, which follows from the advertised
 * payload size and the query's own length (the amplification cap). OPT options (a
 * cookie) do not change the answer; they change only the length, so the limit.
 *
 * Keys are hashed from the octets (no string is built per query) and compared octet by
 * octet on a hit, so two questions never share an answer by a hash collision.
 */

/** What probe() read of the last query it accepted. */
interface Probe {
  hash: number;
  /** RD, EDNS version/DO and the size limit, in one number */
  shape: number;
  /** end of the name (after its root octet) and of the question */
  nameEnd: number;
  questionEnd: number;
}

const probe: Probe = { hash: 0, shape: 0, nameEnd: 0, questionEnd: 0 };

/**
 * Reads a UDP query's key into `probe`; false when the query is not of the plain shape.
 * `amplification`: an answer is at most this many times the query's length.
 */
function read(buf: Buffer, amplification: number): boolean {
  const len = buf.length;
  if (len < 17 || len > 512) return false;
  if ((buf[2]! & 0xf8) !== 0 || buf[4] !== 0 || buf[5] !== 1 || buf[6] !== 0 || buf[7] !== 0 || buf[8] !== 0 || buf[9] !== 0 || buf[10] !== 0) return false;
  const ar = buf[11]!;
  if (ar > 1) return false;
  let hash = 0x811c9dc5; // FNV-1a over the folded question
  let o = 12;
  for (;;) {
    const l = buf[o]!;
    hash = Math.imul(hash ^ l, 0x01000193);
    if (l === 0) break;
    if (l > 63) return false;
    const end = o + 1 + l;
    if (end >= len) return false;
    for (let i = o + 1; i < end; i++) {
      let c = buf[i]!;
      if (c >= 0x80) return false;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      hash = Math.imul(hash ^ c, 0x01000193);
    }
    o = end;
  }
  const nameEnd = o + 1;
  const qEnd = nameEnd + 4;
  if (qEnd - 12 > 259 || qEnd > len) return false;
  for (let i = nameEnd; i < qEnd; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
  let edns: number;
  let size = 512;
  if (ar === 0) {
    if (qEnd !== len) return false;
    edns = 0;
  } else {
    // root owner, TYPE OPT, then class = size, ttl = ext-rcode/version/flags, rdlength
    if (qEnd + 11 > len || buf[qEnd] !== 0 || buf[qEnd + 1] !== 0 || buf[qEnd + 2] !== 41) return false;
    if (qEnd + 11 + buf.readUInt16BE(qEnd + 9) !== len) return false;
    size = Math.max(512, buf.readUInt16BE(qEnd + 3));
    edns = 1 + ((buf[qEnd + 6]! << 1) | (buf[qEnd + 7]! >> 7));
  }
  const limit = Math.min(size, 4096, Math.max(len * amplification, 12 + len));
  probe.shape = (limit * 1024 + edns) * 2 + (buf[2]! & 1);
  probe.hash = hash;
  probe.nameEnd = nameEnd;
  probe.questionEnd = qEnd;
  return true;
}

interface Entry {
  /** the question's octets, name folded to lower case */
  question: Buffer;
  shape: number;
  answer: Buffer;
  /** another entry with the same hash */
  next?: Entry;
}

/** Whether the question octets of `buf` (as probed) are `stored`, the name compared without ASCII case. */
function sameQuestion(buf: Buffer, stored: Buffer): boolean {
  const end = probe.questionEnd;
  if (stored.length !== end - 12) return false;
  const nameEnd = probe.nameEnd;
  for (let i = 12; i < end; i++) {
    let c = buf[i]!;
    if (i < nameEnd && c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== stored[i - 12]) return false;
  }
  return true;
}

export class UdpAnswers {
  private table = new Map<number, Entry>();
  private entries = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly amplification: number,
  ) {}

  /**
   * The answer to `query`, from the table: a buffer of its own with the query's ID and
   * question octets (their case: 0x20) copied in. Undefined for a query of another shape
   * or one not seen yet.
   */
  answer(query: Buffer): Buffer | undefined {
    if (!read(query, this.amplification)) return undefined;
    for (let e = this.table.get(probe.hash); e; e = e.next) {
      if (e.shape !== probe.shape || !sameQuestion(query, e.question)) continue;
      const out = Buffer.allocUnsafe(e.answer.length);
      e.answer.copy(out, 0);
      out[0] = query[0]!;
      out[1] = query[1]!;
      query.copy(out, 12, 12, probe.questionEnd);
      return out;
    }
    return undefined;
  }

  /** Keeps `answer` for queries with the key of `query`; nothing for a query of another shape. */
  store(query: Buffer, answer: Buffer): void {
    if (!read(query, this.amplification)) return;
    if (this.entries >= this.maxEntries) this.clear();
    this.table.set(probe.hash, { question: foldedQuestion(query), shape: probe.shape, answer, next: this.table.get(probe.hash) });
    this.entries++;
  }

  clear(): void {
    this.table = new Map();
    this.entries = 0;
  }
}

/** The probed question's octets, a copy, with the name's ASCII letters in lower case. */
function foldedQuestion(query: Buffer): Buffer {
  const question = Buffer.from(query.subarray(12, probe.questionEnd));
  for (let i = 0; i < probe.nameEnd - 12; i++) if (question[i]! >= 0x41 && question[i]! <= 0x5a) question[i]! |= 0x20;
  return question;
}

/**
 * The key of a query as text (the folded question in hex, and the shape number), or null
 * when the query is not of the plain shape: what the table compares, for tests.
 */
export function udpKey(query: Buffer, amplification: number): string | null {
  return read(query, amplification) ? `${foldedQuestion(query).toString('hex')}/${probe.shape}` : null;
}
