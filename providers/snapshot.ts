import { rrsetKey, type Rec } from '../src/records/record.js';

/** Record types srvctl reads at a managed name. */
export const READ_TYPES = ['SRV', 'TXT', 'A', 'AAAA', 'CNAME'];

/**
 * The RRsets at the managed names as last read: what a provider compares against (or
 * sends as prerequisites) so an apply never clobbers a change made since the plan.
 * A managed name with nothing read counts as empty RRsets of every read type.
 */
export class RRsetSnapshot {
  private readonly sets = new Map<string, Rec[]>();
  /** bumped by every change: work derived from the snapshot is reusable while it stays the same */
  version = 0;

  record(names: readonly string[], records: readonly Rec[]): void {
    this.version++;
    for (const r of records) {
      const k = rrsetKey(r);
      this.sets.set(k, [...(this.sets.get(k) ?? []).filter((x) => x.rdata !== r.rdata), r]);
    }
    for (const name of names) for (const type of READ_TYPES) if (!this.sets.has(`${name}\t${type}`)) this.sets.set(`${name}\t${type}`, []);
  }

  get(key: string): Rec[] {
    return this.sets.get(key) ?? [];
  }

  forget(keys: Iterable<string>): void {
    this.version++;
    for (const k of keys) this.sets.delete(k);
  }
}
