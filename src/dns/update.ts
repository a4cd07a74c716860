import { nameToLabels, normalizeName } from '../records/name.js';
import { rrsetKey, type Rec } from '../records/record.js';
import { CLASS, rdataWire, typeCode, Wire } from './wire.js';

/**
 * An RFC 2136 UPDATE. Prerequisites name every RRset the update touches exactly as it was
 * read, so the update is a compare-and-swap: if anyone changed them since, the server
 * refuses the whole message (YXRRSET/NXRRSET) and nothing changes.
 */
export interface RRsetState {
  name: string;
  type: string;
  /** the records as read; empty: the RRset must not exist */
  records: readonly Rec[];
}

export interface UpdateSpec {
  zone: string;
  prerequisites: readonly RRsetState[];
  deletes: readonly Rec[];
  adds: readonly Rec[];
  /** splitUpdate: the octets encodeUpdate will write for it (before TSIG) */
  octets?: number;
}

const OPCODE_UPDATE = 5;

/** The rdata to send for a record: by default its presentation form encoded; a provider may pass the octets it read. */
export type RdataOf = (r: Rec) => Buffer;

/** A pointer reaches the first 16 KiB of a message (14 bits of offset, RFC 1035 §4.1.4). */
const POINTER_REACH = 0x4000;

/**
 * Owner names are compressed to an earlier occurrence of the same whole name (the zone
 * section's, or an earlier record's), when that one starts within a pointer's reach;
 * rdata is never compressed (an SRV target must not be, RFC 2782). A big RRset as a
 * prerequisite then costs 2 octets of name per record instead of its full owner name:
 * splitUpdate counts exactly what this writes.
 */
export function encodeUpdate(id: number, spec: UpdateSpec, rdataOf: RdataOf = rdataWire): Buffer {
  const w = new Wire();
  const prereqCount = spec.prerequisites.reduce((n, p) => n + Math.max(1, p.records.length), 0);
  w.u16(id).u16(OPCODE_UPDATE << 11).u16(1).u16(prereqCount).u16(spec.deletes.length + spec.adds.length).u16(0);
  const at = new Map<string, number>([[normalizeName(spec.zone), 12]]);
  const owner = (name: string) => {
    const key = normalizeName(name);
    const off = at.get(key);
    if (off !== undefined) return w.u16(0xc000 | off);
    if (w.length < POINTER_REACH) at.set(key, w.length);
    return w.name(name);
  };
  w.name(spec.zone).u16(typeCode('SOA')).u16(CLASS.IN);
  for (const p of spec.prerequisites) {
    if (p.records.length === 0) {
      // RRset does not exist (§2.4.3)
      owner(p.name).u16(typeCode(p.type)).u16(CLASS.NONE).u32(0).u16(0);
    } else {
      // RRset exists, value dependent (§2.4.2): the whole RRset, TTL 0
      for (const r of p.records) {
        const rd = rdataOf(r);
        owner(r.name).u16(typeCode(r.type)).u16(CLASS.IN).u32(0).u16(rd.length).bytes(rd);
      }
    }
  }
  for (const r of spec.deletes) {
    // Delete an RR from an RRset (§2.5.4)
    const rd = rdataOf(r);
    owner(r.name).u16(typeCode(r.type)).u16(CLASS.NONE).u32(0).u16(rd.length).bytes(rd);
  }
  for (const r of spec.adds) {
    const rd = rdataOf(r);
    owner(r.name).u16(typeCode(r.type)).u16(CLASS.IN).u32(r.ttl).u16(rd.length).bytes(rd);
  }
  return w.done();
}

export function encodeAxfrQuery(id: number, zone: string): Buffer {
  return new Wire().u16(id).u16(0).u16(1).u16(0).u16(0).u16(0).name(zone).u16(typeCode('AXFR')).u16(CLASS.IN).done();
}

/** A query for one RRset, to be signed: preflight proves key, secret and clock with it. */
export function encodeQuestion(id: number, name: string, type: string): Buffer {
  return new Wire().u16(id).u16(0).u16(1).u16(0).u16(0).u16(0).name(name).u16(typeCode(type)).u16(CLASS.IN).done();
}

/**
 * An UPDATE that changes nothing yet needs the update right: the prerequisite "the zone
 * apex SOA exists" (RFC 2136 §2.4.1), then one record added and the same record deleted
 * (§3.4.2 processes updates in order, so the zone ends as it began and the serial stays).
 * Measured on BIND 9.18 and Knot 3.2: a key with the right gets NOERROR and the same SOA
 * serial; without it BIND answers REFUSED and Knot NOTAUTH + BADKEY. (A prerequisite-only
 * UPDATE, or one that deletes a record that does not exist, is accepted by BIND from any
 * key it knows: it checks rights only on what would change.)
 */
export function encodeNoOpUpdate(id: number, zone: string, probe: Rec): Buffer {
  const w = new Wire();
  const rd = rdataWire(probe);
  w.u16(id).u16(OPCODE_UPDATE << 11).u16(1).u16(1).u16(2).u16(0);
  w.name(zone).u16(typeCode('SOA')).u16(CLASS.IN);
  w.name(zone).u16(typeCode('SOA')).u16(CLASS.ANY).u32(0).u16(0);
  w.name(probe.name).u16(typeCode(probe.type)).u16(CLASS.IN).u32(probe.ttl).u16(rd.length).bytes(rd);
  w.name(probe.name).u16(typeCode(probe.type)).u16(CLASS.NONE).u32(0).u16(rd.length).bytes(rd);
  return w.done();
}

/**
 * One DNS message over TCP carries at most 65,535 octets (RFC 1035 §4.2.2's two-octet
 * length). The TSIG record is appended after the split: its size is the key name, the
 * algorithm name (at most 255 octets each, canonical) and a MAC of at most 64 octets
 * (hmac-sha512), 16 octets of fields and the 10-octet RR header: under 620 octets. The
 * budget leaves 1,024 for it.
 */
export const MAX_MESSAGE = 65_535;
export const TSIG_MARGIN = 1_024;
export const UPDATE_BUDGET = MAX_MESSAGE - TSIG_MARGIN;

/** Changes that must land in the same message: a record, its replacement and their ownership markers. */
export interface UpdateStep {
  deletes: readonly Rec[];
  adds: readonly Rec[];
}

interface OpenMessage {
  prerequisites: Map<string, RRsetState>;
  deletes: Rec[];
  adds: Rec[];
  octets: number;
  /** owner names written so far: true when later ones compress to it (encodeUpdate) */
  names: Map<string, boolean>;
  /** where the next prerequisite record starts */
  prereqEnd: number;
}

export class UpdateTooLarge extends Error {
  constructor(
    message: string,
    readonly octets: number,
    /** a record of the change, and how many records its RRset holds */
    readonly record: Rec,
    readonly records: number,
  ) {
    super(message);
  }
}

function nameOctets(name: string): number {
  return nameToLabels(normalizeName(name)).reduce((n, l) => n + 1 + l.length, 1);
}

/**
 * Packs the steps, in their order, into as few UPDATE messages as fit the budget. Each
 * message carries as prerequisites the RRsets it touches exactly as they will be when it
 * is sent — as read, with the messages before it applied — so every message is its own
 * compare-and-swap: a change made by anyone else since the read fails the message that
 * would overwrite it, and nothing of that message is applied (RFC 2136 §3.2 checks every
 * prerequisite before any update).
 * `state` gives the RRsets as read (an absent key: the RRset does not exist).
 */
export function splitUpdate(zone: string, steps: readonly UpdateStep[], state: (key: string) => readonly Rec[], rdataOf: RdataOf = rdataWire, budget = UPDATE_BUDGET): UpdateSpec[] {
  // sizes cached per record and per RRset state: the split stays linear in the changes
  const bodies = new WeakMap<Rec, number>();
  const body = (r: Rec) => {
    let n = bodies.get(r);
    if (n === undefined) bodies.set(r, (n = 10 + rdataOf(r).length));
    return n;
  };
  const fullName = new Map<string, number>();
  const full = (name: string) => {
    let n = fullName.get(name);
    if (n === undefined) fullName.set(name, (n = nameOctets(name)));
    return n;
  };
  const current = new Map<string, readonly Rec[]>();
  const now = (key: string): readonly Rec[] => current.get(key) ?? state(key);
  const setBodies = new Map<string, number>();
  const setBody = (key: string) => {
    let n = setBodies.get(key);
    if (n === undefined) {
      const recs = now(key);
      setBodies.set(key, (n = recs.length === 0 ? 10 : recs.reduce((a, r) => a + body(r), 0)));
    }
    return n;
  };
  const header = 12 + nameOctets(zone) + 4;
  const out: UpdateSpec[] = [];
  let open: OpenMessage | null = null;
  const fresh = (): OpenMessage => ({ prerequisites: new Map(), deletes: [], adds: [], octets: header, names: new Map([[normalizeName(zone), true]]), prereqEnd: header });

  const close = () => {
    if (!open) return;
    // What this message leaves behind is the next message's prerequisite.
    const next = new Map<string, Map<string, Rec>>();
    const of = (k: string) => {
      let m = next.get(k);
      if (!m) next.set(k, (m = new Map(now(k).map((x) => [x.rdata, x]))));
      return m;
    };
    for (const r of open.deletes) of(rrsetKey(r)).delete(r.rdata);
    for (const r of open.adds) of(rrsetKey(r)).set(r.rdata, r);
    for (const [k, m] of next) {
      current.set(k, [...m.values()]);
      setBodies.delete(k);
    }
    out.push({ zone, prerequisites: [...open.prerequisites.values()], deletes: open.deletes, adds: open.adds, octets: open.octets });
    open = null;
  };
  /**
   * The octets a step adds to message `o`, exactly as encodeUpdate writes them: the
   * prerequisites of the RRsets it newly touches (appended to the prerequisite section, in
   * this order), then its own records; with `commit`, `o` takes the step.
   */
  const account = (step: UpdateStep, o: OpenMessage, commit: boolean): number => {
    // A trial (no commit) sees the message's names plus its own, without copying them: a
    // copy per step made a 300-change plan's split quadratic in the names it holds.
    const trial = commit ? undefined : new Map<string, boolean>();
    const names = {
      has: (name: string) => !!trial?.has(name) || o.names.has(name),
      get: (name: string) => (trial?.has(name) ? trial.get(name) : o.names.get(name)),
      set: (name: string, pointable: boolean) => void (trial ?? o.names).set(name, pointable),
    };
    let prereqEnd = o.prereqEnd;
    const joined = new Set<string>();
    let n = 0;
    const later = (name: string) => (names.get(name) ? 2 : full(name));
    for (const r of [...step.deletes, ...step.adds]) {
      const k = rrsetKey(r);
      if (o.prerequisites.has(k) || joined.has(k)) continue;
      joined.add(k);
      const name = normalizeName(r.name);
      const count = Math.max(1, now(k).length);
      let first: number;
      if (names.has(name)) first = later(name);
      else {
        first = full(name);
        names.set(name, prereqEnd < POINTER_REACH);
      }
      const octets = first + (count - 1) * later(name) + setBody(k);
      prereqEnd += octets;
      n += octets;
    }
    for (const r of [...step.deletes, ...step.adds]) n += later(normalizeName(r.name)) + body(r);
    if (commit) {
      o.prereqEnd = prereqEnd;
      o.octets += n;
      for (const r of [...step.deletes, ...step.adds]) {
        const k = rrsetKey(r);
        if (!o.prerequisites.has(k)) o.prerequisites.set(k, { name: r.name, type: r.type, records: now(k) });
      }
      o.deletes.push(...step.deletes);
      o.adds.push(...step.adds);
    }
    return n;
  };

  for (const step of steps) {
    if (step.deletes.length + step.adds.length === 0) continue;
    if (open && open.octets + account(step, open, false) > budget) close();
    if (!open) {
      const o = fresh();
      const alone = header + account(step, o, false);
      if (alone > budget) {
        const r = step.adds[0] ?? step.deletes[0]!;
        throw new UpdateTooLarge(`the change to ${r.name} ${r.type} needs ${alone} octets in one UPDATE (its RRsets as prerequisites, ${now(rrsetKey(r)).length} records): over the ${budget}-octet budget of a 65,535-octet DNS message with its TSIG record`, alone, r, now(rrsetKey(r)).length);
      }
      open = o;
    }
    account(step, open, true);
  }
  close();
  return out;
}

function skipName(buf: Buffer, off: number): number {
  for (let hops = 0; hops < 128; hops++) {
    const len = buf[off]!;
    if ((len & 0xc0) === 0xc0) return off + 2;
    if (len === 0) return off + 1;
    off += 1 + len;
  }
  throw new Error('name too long');
}

/**
 * The rdata octets of every answer record of a message, in order (aligned with the
 * decoder's `answers`), for A, AAAA and TXT: rdata that holds no domain name, so no
 * compression pointer, and can be sent again as it came; null for the other types. A prerequisite built from them compares what the server
 * holds, whatever the presentation form's round trip would make of it.
 */
export function answerRdataOctets(buf: Buffer): (Buffer | null)[] {
  const out: (Buffer | null)[] = [];
  let off = 12;
  for (let i = buf.readUInt16BE(4); i > 0; i--) off = skipName(buf, off) + 4;
  for (let i = buf.readUInt16BE(6); i > 0; i--) {
    off = skipName(buf, off);
    const type = buf.readUInt16BE(off);
    const rdlen = buf.readUInt16BE(off + 8);
    const start = off + 10;
    off = start + rdlen;
    if (type === 41) continue; // OPT is not an answer the decoder returns
    out.push(type === 1 || type === 28 || type === 16 ? Buffer.from(buf.subarray(start, off)) : null);
  }
  return out;
}
