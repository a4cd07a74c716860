import type { Manifest } from '../manifest/types.js';
import { classifyOwnership } from '../records/ownership.js';
import { managedNames } from '../records/desired.js';
import { parseSrvRdata, type Rec } from '../records/record.js';

/**
 * Reads the records at every name srvctl manages for a manifest. A member removed from
 * the manifest still has an owned SRV record pointing at its host: that host is read in a
 * second round, so its address record can be deleted too.
 */
export async function readManaged(m: Manifest, read: (names: readonly string[]) => Promise<Rec[]>): Promise<{ names: string[]; actual: Rec[] }> {
  const names = managedNames(m);
  const actual = await read(names);
  const { owned } = classifyOwnership(actual, m.cluster);
  const known = new Set(names);
  const more = [
    ...new Set(owned.filter((r) => r.type === 'SRV').map((r) => parseSrvRdata(r.rdata)?.target).filter((t): t is string => !!t && !known.has(t))),
  ];
  if (more.length === 0) return { names, actual };
  return { names: [...names, ...more], actual: [...actual, ...(await read(more))] };
}
