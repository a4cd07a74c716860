import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { access, constants as fsConstants } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SrvctlError } from '../src/errors.js';
import { writeAtomic } from '../src/util/atomic-write.js';
import { Authority } from '../src/dns/authority.js';
import { startServer, type RunningServer } from '../src/dns/server.js';
import { editZone, skeletonZone, ZoneEditConflict } from '../src/dns/zoneedit.js';
import { parseZone, ZoneParseError, type ParsedZone } from '../src/dns/zonefile.js';
import type { Manifest } from '../src/manifest/types.js';
import type { Plan } from '../src/plan/plan.js';
import type { Rec } from '../src/records/record.js';
import type { ApplyResult, Nameserver, Provider, ProviderContext, PreflightResult } from './provider.js';

/**
 * The last parse of each zone file, reused while the file's text is the same: drift over
 * many manifests that share one zone file parses it once, not once per cluster.
 */
const parsed = new Map<string, { text: string; origin: string; zone: ParsedZone }>();

/** Reads a zone file, or null when it does not exist yet. Errors name file:line:column. */
export async function loadZoneFile(path: string, origin: string): Promise<{ text: string; zone: ParsedZone } | null> {
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

export function parseZoneText(path: string, text: string, origin: string): ParsedZone {
  try {
    return parseZone(text, origin);
  } catch (e) {
    if (e instanceof ZoneParseError) throw new SrvctlError('manifest', `${path}:${e.line}:${e.column}: ${e.message}`);
    throw e;
  }
}

class ZoneFileProvider implements Provider {
  readonly type = 'zonefile';
  readonly capabilities = { atomicApply: true, comments: true, preflightProvesWrite: true };
  readonly description: string;
  private readHash: string | null = null;
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
    this.readHash = hash(loaded?.text ?? null);
    if (!loaded) {
      this.ctx.debug(`${this.path} does not exist yet: it will be created with an SOA and NS record`);
      return [];
    }
    const wanted = new Set(names);
    return loaded.zone.records.filter((r) => wanted.has(r.name));
  }

  async apply(plan: Plan): Promise<ApplyResult> {
    const loaded = await loadZoneFile(this.path, this.origin);
    if (hash(loaded?.text ?? null) !== this.readHash) {
      throw new SrvctlError('provider', `${this.path} changed since it was read for the plan; nothing was written. Run srvctl again.`);
    }
    const before = loaded?.text ?? skeletonZone(this.origin, 0);
    const remove = plan.changes.filter((c) => c.before).map((c) => c.before!);
    const add = plan.changes.filter((c) => c.after).map((c) => c.after!);
    let text: string;
    try {
      text = editZone(before, this.origin, remove, add, this.ctx.now());
    } catch (e) {
      if (e instanceof ZoneEditConflict) throw new SrvctlError('provider', `${this.path}: ${e.message}; nothing was written. Run srvctl again.`);
      throw e;
    }
    parseZoneText(this.path, text, this.origin); // never write what we could not read back
    try {
      await writeAtomic(this.path, text);
    } catch (e) {
      throw new SrvctlError('io', `cannot write zone file ${this.path}: ${(e as Error).message}; the old file is unchanged`);
    }
    this.readHash = hash(text);
    return { applied: plan.changes.length, notes: [`wrote ${this.path}`] };
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

function hash(text: string | null): string {
  return text === null ? 'absent' : createHash('sha256').update(text).digest('hex');
}

export async function create(manifest: Manifest, ctx: ProviderContext): Promise<Provider> {
  return new ZoneFileProvider(String(manifest.provider.options.path), manifest.provider.zone, ctx);
}
