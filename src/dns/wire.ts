import { nameToLabels, normalizeName } from '../records/name.js';
import type { Rec } from '../records/record.js';
import { rdataToWire } from './rdata.js';
import { typeNumber } from './types.js';
import { ByteWriter } from './byte-writer.js';

/** The writer for the messages srvctl builds itself (UPDATE, TSIG): bytes plus uncompressed names. */
export class Wire extends ByteWriter {
  /** An uncompressed name; canonical (lower case) when asked, as TSIG digests require. */
  name(name: string, canonical = false): this {
    for (const label of nameToLabels(normalizeName(name))) {
      // normalizeName already lowered ASCII; `canonical` stays for TSIG's explicit intent.
      const b = canonical ? Buffer.from(label.map((c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c))) : label;
      this.u8(b.length).bytes(b);
    }
    return this.u8(0);
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
