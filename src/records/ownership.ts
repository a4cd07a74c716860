import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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
 *
 * With a marker secret, the marker written ends in ",srvctl/mac=<24 hex>": an HMAC-SHA256
 * under the secret over the owner, the name and the TYPE:digest, so a marker cannot be
 * made by someone who can write TXT records but does not hold the secret, nor copied to
 * another name. The diff only ever sees markers without the mac (see
 * providers/signed-markers.ts, which checks and strips it on read and adds it on write).
 */
export interface Marker {
  owner: string;
  type: string;
  digest: string;
  /** present on a marker written with a marker secret */
  mac?: string;
}

const MARKER_RE = /^heritage=srvctl,srvctl\/owner=([a-z0-9-]+),srvctl\/rr=([A-Z0-9]+):([0-9a-f]{16})(?:,srvctl\/mac=([0-9a-f]{24}))?$/;

/** Types two clusters may own together: a host listed by both keeps its address while either wants it. */
const SHAREABLE = new Set(['A', 'AAAA']);

export function recordDigest(r: Pick<Rec, 'type' | 'rdata'>): string {
  return createHash('sha256').update(`${r.type} ${r.rdata}`).digest('hex').slice(0, 16);
}

function markerText(m: Marker): string {
  return `heritage=srvctl,srvctl/owner=${m.owner},srvctl/rr=${m.type}:${m.digest}${m.mac ? `,srvctl/mac=${m.mac}` : ''}`;
}

export function markerFor(r: Rec, owner: string, mac?: string): Rec {
  return rec(r.name, 'TXT', r.ttl, txtRdata([markerText({ owner, type: r.type, digest: recordDigest(r), ...(mac ? { mac } : {}) })]));
}

export function parseMarker(r: Rec): Marker | null {
  if (r.type !== 'TXT') return null;
  // Providers may split or re-quote TXT strings; the marker is their concatenation.
  const m = MARKER_RE.exec(parseTxtRdata(r.rdata).join(''));
  return m ? { owner: m[1]!, type: m[2]!, digest: m[3]!, ...(m[4] ? { mac: m[4] } : {}) } : null;
}

export function isMarker(r: Rec): boolean {
  return parseMarker(r) !== null;
}

/** The mac of a marker at `name`: what only a holder of the secret can compute. */
export function markerMac(secret: Buffer, owner: string, name: string, type: string, digest: string): string {
  return createHmac('sha256', secret).update(`srvctl-marker-v1\n${owner}\n${name}\n${type}:${digest}`).digest('hex').slice(0, 24);
}

/** A marker record as written with the secret. */
export function signMarker(marker: Rec, secret: Buffer): Rec {
  const m = parseMarker(marker);
  if (!m) throw new Error(`internal: not a marker: ${marker.rdata}`);
  return { ...marker, rdata: txtRdata([markerText({ ...m, mac: markerMac(secret, m.owner, marker.name, m.type, m.digest) })]) };
}

/** Whether a marker carries a mac that this secret made. */
export function markerAuthentic(marker: Rec, secret: Buffer): boolean {
  const m = parseMarker(marker);
  if (!m?.mac) return false;
  const want = Buffer.from(markerMac(secret, m.owner, marker.name, m.type, m.digest), 'hex');
  return timingSafeEqual(want, Buffer.from(m.mac, 'hex'));
}

/** The marker without its mac: the form the diff compares. */
export function unsignedMarker(marker: Rec): Rec {
  const m = parseMarker(marker);
  if (!m) throw new Error(`internal: not a marker: ${marker.rdata}`);
  return { ...marker, rdata: txtRdata([markerText({ owner: m.owner, type: m.type, digest: m.digest })]) };
}

export interface Ownership {
  /** Records (markers included) that carry this owner's marker and no other owner's shared claim. */
  owned: Rec[];
  /** Records that carry another srvctl owner's marker, with that owner. */
  otherOwners: Map<Rec, string>;
  /** Address records both this owner and another claim: the other's, while this owner wants them too. */
  shared: Set<Rec>;
}

/** Whether `owner` may join another owner's claim on this record rather than report a conflict. */
export function coOwnable(r: Rec, otherOwner: string | undefined, owner: string): boolean {
  return otherOwner !== undefined && otherOwner !== owner && SHAREABLE.has(r.type);
}

/**
 * Splits the records at some names into those `owner` owns and the rest. Markers are
 * indexed by name, type and digest, so each record finds its claims in one lookup rather
 * than a scan of every marker at its name (a 5,000-member SRV name holds 5,000 markers).
 */
export function classifyOwnership(records: readonly Rec[], owner: string): Ownership {
  const parsed = records.map((r) => (r.type === 'TXT' ? parseMarker(r) : null));
  const claimsOf = new Map<string, Marker[]>();
  records.forEach((r, i) => {
    const m = parsed[i];
    if (!m) return;
    const key = `${r.name}\t${m.type}\t${m.digest}`;
    const list = claimsOf.get(key);
    if (list) list.push(m);
    else claimsOf.set(key, [m]);
  });
  const owned: Rec[] = [];
  const otherOwners = new Map<Rec, string>();
  const shared = new Set<Rec>();
  records.forEach((r, i) => {
    const marker = parsed[i];
    if (marker) {
      if (marker.owner === owner) owned.push(r);
      return;
    }
    const claims = claimsOf.get(`${r.name}\t${r.type}\t${recordDigest(r)}`) ?? [];
    const mine = claims.some((m) => m.owner === owner);
    const other = claims.find((m) => m.owner !== owner)?.owner;
    if (mine && coOwnable(r, other, owner)) {
      // Deleting it is not this owner's to decide while another still wants it.
      otherOwners.set(r, other!);
      shared.add(r);
    } else if (mine) owned.push(r);
    else if (other) otherOwners.set(r, other);
  });
  return { owned, otherOwners, shared };
}
