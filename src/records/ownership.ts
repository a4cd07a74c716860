import { createHash } from 'node:crypto';
import { parseTxtRdata, rec, txtRdata, type Rec } from './record.js';

/**
 * Ownership markers, in the spirit of external-dns's TXT registry, but one marker per
 * owned record rather than per name: a record someone adds by hand at a managed name
 * (say a fourth SRV target) then stays foreign, is reported, and is never deleted.
 *
 * Marker: a TXT at the record's own name,
 *   "heritage=srvctl,srvctl/owner=<cluster>,srvctl/rr=<TYPE>:<digest>"
 * where digest is the first 16 hex digits of sha256("<TYPE> <rdata>"). The digest keeps
 * the marker under 255 octets for any record, and a TTL change leaves the marker alone.
 */
export interface Marker {
  owner: string;
  type: string;
  digest: string;
}

const MARKER_RE = /^heritage=srvctl,srvctl\/owner=([a-z0-9-]+),srvctl\/rr=([A-Z0-9]+):([0-9a-f]{16})$/;

export function recordDigest(r: Pick<Rec, 'type' | 'rdata'>): string {
  return createHash('sha256').update(`${r.type} ${r.rdata}`).digest('hex').slice(0, 16);
}

export function markerFor(r: Rec, owner: string): Rec {
  return rec(r.name, 'TXT', r.ttl, txtRdata([`heritage=srvctl,srvctl/owner=${owner},srvctl/rr=${r.type}:${recordDigest(r)}`]));
}

export function parseMarker(r: Rec): Marker | null {
  if (r.type !== 'TXT') return null;
  // Providers may split or re-quote TXT strings; the marker is their concatenation.
  const m = MARKER_RE.exec(parseTxtRdata(r.rdata).join(''));
  return m ? { owner: m[1]!, type: m[2]!, digest: m[3]! } : null;
}

export function isMarker(r: Rec): boolean {
  return parseMarker(r) !== null;
}

export interface Ownership {
  /** Records (markers included) that carry this owner's marker. */
  owned: Rec[];
  /** Records that carry another srvctl owner's marker, with that owner. */
  otherOwners: Map<Rec, string>;
}

/** Splits the records at some names into those `owner` owns and the rest. */
export function classifyOwnership(records: readonly Rec[], owner: string): Ownership {
  const markersAt = new Map<string, Marker[]>();
  for (const r of records) {
    const m = parseMarker(r);
    if (!m) continue;
    const list = markersAt.get(r.name) ?? [];
    list.push(m);
    markersAt.set(r.name, list);
  }
  const owned: Rec[] = [];
  const otherOwners = new Map<Rec, string>();
  for (const r of records) {
    const marker = parseMarker(r);
    if (marker) {
      if (marker.owner === owner) owned.push(r);
      continue;
    }
    const digest = recordDigest(r);
    const claims = (markersAt.get(r.name) ?? []).filter((m) => m.type === r.type && m.digest === digest);
    if (claims.some((m) => m.owner === owner)) owned.push(r);
    else if (claims.length > 0) otherOwners.set(r, claims[0]!.owner);
  }
  return { owned, otherOwners };
}
