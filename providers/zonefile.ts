import { AsyncLocalStorage } from 'node:async_hooks';
import { promises as fs } from 'node:fs';
import { access, constants as fsConstants } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SrvctlError } from '../src/errors.js';
import { writeAtomic, writeTarget } from '../src/util/atomic-write.js';
import { withFileLock, type LockOptions } from '../src/util/file-lock.js';
import { Authority } from '../src/dns/authority.js';
import { startServer, type RunningServer } from '../src/dns/server.js';
import { editZone, skeletonZone, ZoneEditConflict } from '../src/dns/zoneedit.js';
import { parseZoneRecords, recordsAtNames, ZoneParseError, type ZoneRecords } from '../src/dns/zonefile.js';
import type { Manifest } from '../src/manifest/types.js';
import type { Plan } from '../src/plan/plan.js';
import { recordKey, type Rec } from '../src/records/record.js';
import type { ApplyResult, Nameserver, Provider, ProviderContext, PreflightResult } from './provider.js';

/**
 * The last parse of each zone file, reused while the file's text is the same: drift over
 * many manifests that share one zone file parses it once, not once per cluster.
 */
const parsed = new Map<string, { text: string; origin: string; zone: ZoneRecords }>();

/**
 * A snapshot scope: inside `withZoneFileSnapshot`, each zone file is read and parsed at
 * most once, by whichever caller asks first, and every later reader gets that same parse.
 * drift runs its checks in one: it writes nothing, so the file as first read is the file
 * it checks against, and 1,000 manifests sharing one zone file cost one read, not 4,000.
 * Outside a snapshot (sync, apply under the lock) every read goes to the file.
 */
const snapshot = new AsyncLocalStorage<Map<string, Promise<{ text: string; zone: ZoneRecords } | null>>>();

/**
 * Inside a snapshot, one embedded server per zone file answers for every check of the run:
 * the zone it serves is the snapshot's one parse, so a server per manifest would build the
 * same index of the whole zone once per manifest (1,000 manifests sharing a zone of 9,000
 * records: 15 s). Closed when the snapshot ends.
 */
const snapshotServers = new AsyncLocalStorage<Map<string, Promise<RunningServer>>>();

export async function withZoneFileSnapshot<T>(fn: () => Promise<T>): Promise<T> {
  const servers = new Map<string, Promise<RunningServer>>();
  try {
    return await snapshot.run(new Map(), () => snapshotServers.run(servers, fn));
  } finally {
    await Promise.all([...servers.values()].map((s) => s.then((server) => server.close(), () => undefined)));
  }
}

/** Reads a zone file, or null when it does not exist yet. Errors name file:line:column. */
export function loadZoneFile(path: string, origin: string): Promise<{ text: string; zone: ZoneRecords } | null> {
  const store = snapshot.getStore();
  if (!store) return readZoneFile(path, origin);
  const key = `${origin}\n${path}`;
  let loaded = store.get(key);
  if (!loaded) {
    loaded = readZoneFile(path, origin);
    store.set(key, loaded);
  }
  return loaded;
}

async function readZoneFile(path: string, origin: string): Promise<{ text: string; zone: ZoneRecords } | null> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SrvctlError('io', `cannot read zone file ${path}: ${(e as Error).message}`);
  }
  const hit = parsed.get(path);
  if (hit && hit.text === text && hit.origin === origin) return { text, zone: hit.zone };
  const zone = parseZoneText(path, text, origin);
  parsed.set(path, { text, origin, zone });
  return { text, zone };
}

/**
 * Runs `fn` holding the zone file's exclusive lock (`<target>.srvctl.lock`, beside the
 * file a symlink points to). Every srvctl writer of a zone holds it across
 * re-read → compare → write → rename; a reader that wants a consistent view across
 * several reads (the embedded server's reload, scripts) takes it too.
 */
export async function withZoneLock<T>(path: string, fn: () => Promise<T>, opts?: LockOptions): Promise<T> {
  return withFileLock(await writeTarget(path), fn, opts);
}

/** The records at each of `names`, TTLs included, as one comparable string per name. */
function stateAt(records: readonly Rec[], names: Iterable<string>): Map<string, string> {
  const out = new Map<string, string[]>();
  for (const n of names) out.set(n, []);
  for (const r of records) out.get(r.name)?.push(`${recordKey(r)}\t${r.ttl}`);
  return new Map([...out].map(([n, list]) => [n, list.sort().join('\n')]));
}

/**
 * The records of a parse at some names, in zone order. The first look at a parse is one
 * pass over its records (a plan in a 1M-record file reads once: no index worth building);
 * a parse looked at again (drift's shared snapshot, apply's re-check) gets an index by name.
 */
function recordsOfNames(zone: ZoneRecords | undefined, names: Iterable<string>): Rec[] {
  if (!zone) return [];
  if (!looked.has(zone)) {
    looked.add(zone);
    const wanted = new Set(names);
    return zone.records.filter((r) => wanted.has(r.name));
  }
  return recordsAtNames(zone, names);
}
const looked = new WeakSet<ZoneRecords>();

class ChangedDuringWrite extends Error {}

export function parseZoneText(path: string, text: string, origin: string): ZoneRecords {
  try {
    return parseZoneRecords(text, origin);
  } catch (e) {
    if (e instanceof ZoneParseError) throw new SrvctlError('manifest', `${path}:${e.line}:${e.column}: ${e.message}`);
    throw e;
  }
}

class ZoneFileProvider implements Provider {
  readonly type = 'zonefile';
  readonly capabilities = { atomicApply: true, comments: true, preflightProvesWrite: true };
  readonly description: string;
  /** what read() saw: the names asked for and the records at them */
  /** name → its records as read; a name read in a later round (readManaged's second) is added */
  private readState = new Map<string, string>();
  private readText: string | null = null;
  private server?: RunningServer;

  constructor(
    private readonly path: string,
    private readonly origin: string,
    private readonly ctx: ProviderContext,
  ) {
    this.description = `zone file ${path}`;
  }

  async read(names: readonly string[]): Promise<Rec[]> {
    const loaded = await loadZoneFile(this.path, this.origin);
    this.readText = loaded?.text ?? null;
    const found = recordsOfNames(loaded?.zone, names);
    for (const [n, st] of stateAt(found, names)) this.readState.set(n, st);
    if (!loaded) {
      this.ctx.debug(`${this.path} does not exist yet: it will be created with an SOA and NS record`);
      return [];
    }
    return found;
  }

  /**
   * Under the zone lock: re-read, compare the managed names with what the plan was made
   * from, edit, write, rename. A change elsewhere in the file since the plan (another
   * cluster, a hand edit of other names) is kept: the edit lands on the current text. A
   * change at a managed name stops the apply with nothing written.
   */
  async apply(plan: Plan): Promise<ApplyResult> {
    return withZoneLock(this.path, () => this.applyLocked(plan));
  }

  private async applyLocked(plan: Plan): Promise<ApplyResult> {
    const loaded = await loadZoneFile(this.path, this.origin);
    const current = loaded?.text ?? null;
    const notes: string[] = [];
    // Per name, not per file: a change elsewhere is no reason to refuse, and names read in a later round count too.
    const now = stateAt(recordsOfNames(loaded?.zone, this.readState.keys()), this.readState.keys());
    const changed = [...this.readState].filter(([n, st]) => now.get(n) !== st).map(([n]) => n);
    if (changed.length) {
      throw new SrvctlError('provider', `${this.path}: the records at the managed names changed since they were read for the plan (${changed.slice(0, 3).join(', ')}${changed.length > 3 ? ', …' : ''}); nothing was written. Run srvctl again.`);
    }
    if (current !== this.readText) notes.push(`${this.path} changed elsewhere since the plan (other names): those changes are kept`);
    const before = current ?? skeletonZone(this.origin, 0);
    const remove = plan.changes.filter((c) => c.before).map((c) => c.before!);
    const add = plan.changes.filter((c) => c.after).map((c) => c.after!);
    let text: string;
    try {
      text = editZone(before, this.origin, remove, add, this.ctx.now());
    } catch (e) {
      if (e instanceof ZoneEditConflict) throw new SrvctlError('provider', `${this.path}: ${e.message}; nothing was written. Run srvctl again.`);
      throw e;
    }
    const written = parseZoneText(this.path, text, this.origin); // never write what we could not read back
    try {
      await writeAtomic(this.path, text, {
        // A writer that ignores the lock (an editor) and saved after the re-read above.
        beforeRename: (now) => {
          if (now !== current) throw new ChangedDuringWrite();
        },
      });
    } catch (e) {
      if (e instanceof ChangedDuringWrite) throw new SrvctlError('provider', `${this.path} was changed by another writer while srvctl was writing it; nothing was written. Run srvctl again.`);
      throw new SrvctlError('io', `cannot write zone file ${this.path}: ${(e as Error).message}; the old file is unchanged`);
    }
    this.readText = text;
    this.readState = stateAt(recordsOfNames(written, this.readState.keys()), this.readState.keys());
    return { applied: plan.changes.length, notes: [...notes, `wrote ${this.path}`] };
  }

  /** The file parses (or is absent) and its directory is writable: the write's atomic rename will work. */
  async preflight(intent: 'write' | 'read' = 'write'): Promise<PreflightResult> {
    await loadZoneFile(this.path, this.origin);
    if (intent === 'read') return { writeRight: false, checks: [{ check: 'zone file', detail: `${this.path} reads (drift writes nothing here)` }] };
    const dir = dirname(this.path);
    try {
      await access(dir, fsConstants.W_OK);
    } catch (e) {
      throw new SrvctlError('provider', `cannot write zone file ${this.path}: directory ${dir} is ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'not writable'}`);
    }
    return { writeRight: true, checks: [{ check: 'zone file', detail: `${this.path} reads, and ${dir} is writable` }] };
  }

  /** The zone is served by srvctl's own server, started here on a free loopback port. */
  async nameservers(): Promise<Nameserver[]> {
    const loaded = await loadZoneFile(this.path, this.origin);
    if (!loaded) throw new SrvctlError('provider', `${this.path} does not exist: nothing to serve`);
    const shared = snapshotServers.getStore();
    if (shared) {
      const key = `${this.origin}\n${this.path}`;
      let started = shared.get(key);
      if (!started) {
        started = startServer(new Authority(this.origin, loaded.zone.records), { host: '127.0.0.1', port: 0 });
        shared.set(key, started);
      }
      const server = await started;
      return [{ name: 'embedded', host: server.host, port: server.port }];
    }
    const authority = new Authority(this.origin, loaded.zone.records);
    if (this.server) this.server.swap(authority);
    else this.server = await startServer(authority, { host: '127.0.0.1', port: 0 });
    return [{ name: 'embedded', host: this.server.host, port: this.server.port }];
  }

  async close(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }
}

export async function create(manifest: Manifest, ctx: ProviderContext): Promise<Provider> {
  return new ZoneFileProvider(String(manifest.provider.options.path), manifest.provider.zone, ctx);
}
