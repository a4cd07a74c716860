import { fqdn } from '../records/name.js';
import { recordKey, recordText, type Rec } from '../records/record.js';
import { nextSerial } from './serial.js';
import { parseZone } from './zonefile.js';

export class ZoneEditConflict extends Error {}

/** A new zone's text: SOA and NS only, served by srvctl's embedded server on loopback. */
export function skeletonZone(origin: string, serial: number): string {
  return [
    `; zone ${origin}, created by srvctl`,
    `$ORIGIN ${fqdn(origin)}`,
    '$TTL 300',
    `@ 3600 IN SOA localhost. hostmaster.${fqdn(origin)} ${serial} 3600 600 604800 300`,
    '@ 3600 IN NS localhost.',
    '',
  ].join('\n');
}

/**
 * Removes and adds records in master-file text, leaving every other line (comments,
 * layout, records of other owners) as it was, and bumps the SOA serial.
 * Throws ZoneEditConflict when a record to remove is missing or one to add is present:
 * the file changed since it was read.
 */
export function editZone(text: string, origin: string, remove: readonly Rec[], add: readonly Rec[], now: Date): string {
  const zone = parseZone(text, origin);
  const lines = text.split('\n');
  const byKey = new Map<string, number[]>();
  zone.entries.forEach((e, i) => byKey.set(recordKey(e.record), [...(byKey.get(recordKey(e.record)) ?? []), i]));

  const dropped = new Set<number>();
  for (const r of remove) {
    const idx = (byKey.get(recordKey(r)) ?? []).find((i) => !dropped.has(i));
    if (idx === undefined) throw new ZoneEditConflict(`record to delete is no longer in the zone: ${recordText(r)}`);
    dropped.add(idx);
  }
  const stillThere = new Set(zone.entries.filter((_, i) => !dropped.has(i)).map((e) => recordKey(e.record)));
  for (const r of add) {
    if (stillThere.has(recordKey(r))) throw new ZoneEditConflict(`record to create is already in the zone: ${recordText(r)}`);
  }

  const soa = zone.entries.find((e) => e.record.type === 'SOA' && e.record.name === zone.origin);
  if (!soa?.serialAt) throw new ZoneEditConflict(`zone ${origin} has no SOA record at its apex`);

  const drop = new Set<number>();
  const prefix = new Map<number, string>();
  let previousKeptOwner: string | undefined;
  let previousKeptTtl: number | undefined;
  zone.entries.forEach((e, i) => {
    if (dropped.has(i)) {
      for (let l = e.firstLine; l <= e.lastLine; l++) drop.add(l);
      return;
    }
    // An entry that inherited its TTL from a removed line ("last stated TTL") must now state it.
    if (e.ttlInherited && previousKeptTtl !== e.record.ttl) {
      const l = e.ttlAt.line - 1;
      lines[l] = `${lines[l]!.slice(0, e.ttlAt.col - 1)}${e.record.ttl} ${lines[l]!.slice(e.ttlAt.col - 1)}`;
    }
    // An entry that inherited its owner from a removed line must now name it.
    if (!e.ownerExplicit && previousKeptOwner !== e.record.name) prefix.set(e.firstLine, fqdn(e.record.name));
    previousKeptOwner = e.record.name;
    previousKeptTtl = e.record.ttl;
  });

  const { line, col, text: serialText } = soa.serialAt;
  const serialLine = lines[line - 1]!;
  const serial = nextSerial(Number(serialText), now);
  lines[line - 1] = serialLine.slice(0, col - 1) + String(serial) + serialLine.slice(col - 1 + serialText.length);

  // The file's line ending is kept: CRLF files stay CRLF, new lines included.
  const cr = text.includes('\r\n') ? '\r' : '';
  const out: string[] = [];
  lines.forEach((l, i) => {
    if (drop.has(i)) return;
    out.push(prefix.has(i) ? `${prefix.get(i)}${l}` : l);
  });
  while (out.length > 0 && (out[out.length - 1] === '' || out[out.length - 1] === '\r')) out.pop();
  // Appended grouped by name, each record before the TXT markers at that name.
  const ordered = [...add].sort((a, b) => a.name.localeCompare(b.name) || Number(a.type === 'TXT') - Number(b.type === 'TXT') || a.type.localeCompare(b.type));
  for (const r of ordered) out.push(`${recordText(r)}${cr}`);
  return `${out.join('\n')}\n`;
}
