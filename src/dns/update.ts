import type { Rec } from '../records/record.js';
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
}

const OPCODE_UPDATE = 5;

export function encodeUpdate(id: number, spec: UpdateSpec): Buffer {
  const w = new Wire();
  const prereqCount = spec.prerequisites.reduce((n, p) => n + Math.max(1, p.records.length), 0);
  w.u16(id).u16(OPCODE_UPDATE << 11).u16(1).u16(prereqCount).u16(spec.deletes.length + spec.adds.length).u16(0);
  w.name(spec.zone).u16(typeCode('SOA')).u16(CLASS.IN);
  for (const p of spec.prerequisites) {
    if (p.records.length === 0) {
      // RRset does not exist (§2.4.3)
      w.name(p.name).u16(typeCode(p.type)).u16(CLASS.NONE).u32(0).u16(0);
    } else {
      // RRset exists, value dependent (§2.4.2): the whole RRset, TTL 0
      for (const r of p.records) {
        const rd = rdataWire(r);
        w.name(r.name).u16(typeCode(r.type)).u16(CLASS.IN).u32(0).u16(rd.length).bytes(rd);
      }
    }
  }
  for (const r of spec.deletes) {
    // Delete an RR from an RRset (§2.5.4)
    const rd = rdataWire(r);
    w.name(r.name).u16(typeCode(r.type)).u16(CLASS.NONE).u32(0).u16(rd.length).bytes(rd);
  }
  for (const r of spec.adds) {
    const rd = rdataWire(r);
    w.name(r.name).u16(typeCode(r.type)).u16(CLASS.IN).u32(r.ttl).u16(rd.length).bytes(rd);
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
