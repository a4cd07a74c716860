import type { Manifest } from '../src/manifest/types.js';
import type { LimitBreach } from '../src/plan/limits.js';
import type { NotServed, Plan } from '../src/plan/plan.js';
import type { Rec } from '../src/records/record.js';
import type { HostLookup } from '../src/dns/host-lookup.js';
import type { Server } from '../src/dns/transport.js';

export interface Capabilities {
  /** apply is all-or-nothing */
  atomicApply: boolean;
  /** records carry a free-text comment (ownership visible in a dashboard) */
  comments: boolean;
  /** changes per request, where the API limits it */
  maxBatch?: number;
  /** lowest TTL the provider keeps without clamping */
  minTtl?: number;
  /** preflight proves the right to write, not only the credential (the core says which it proved) */
  preflightProvesWrite: boolean;
  /** records one RRset may hold at the provider, where it is known (the manifest's provider.maxRecordsPerRRset overrides it; src/plan/limits.ts) */
  maxRecordsPerRRset?: number;
  /** where that limit comes from, for the refusal */
  maxRecordsPerRRsetSource?: string;
}

/** What preflight proved, one line per check, for the report. */
export interface PreflightCheck {
  check: string;
  detail: string;
}

export interface PreflightResult {
  checks: PreflightCheck[];
  /** true when the write right itself was proven (not only that the credential is valid) */
  writeRight: boolean;
}

export interface Nameserver extends Server {
  /** the NS host name, or a label such as "embedded" */
  name: string;
}

export interface ApplyResult {
  applied: number;
  notes: string[];
}

/** Where a provider gets what the core must not read itself: environment, files, logging. */
export interface ProviderContext {
  env: Readonly<Record<string, string | undefined>>;
  /** verbose diagnostics; never given a secret */
  debug(message: string): void;
  now(): Date;
  /** waits (rate limits); injected so tests need not wait. Default: a timer */
  sleep?(ms: number): Promise<void>;
  /**
   * Addresses of NS hosts outside the zone, for nameservers(). Absent: such hosts are not
   * looked up at all (never the system resolver behind the caller's back).
   */
  lookupHost?: HostLookup;
}

export interface Provider {
  readonly type: string;
  /** one line for humans: where the records live */
  readonly description: string;
  readonly capabilities: Capabilities;
  /** every record at the given names (all types: conflicts must be seen) */
  read(names: readonly string[]): Promise<Rec[]>;
  /** applies a plan computed from the last read; fails cleanly if the data changed since */
  apply(plan: Plan): Promise<ApplyResult>;
  /**
   * Proves the credential (and, where the API allows, the write right) without changing
   * anything. Throws a SrvctlError naming the cause when the credential is refused.
   */
  /**
   * Proves the credential without changing anything. `read`: drift, which never writes
   * through this provider (a zone file's directory need not be writable by the monitoring
   * user); network providers prove the write right either way, since drift holds the
   * same key the next sync will use.
   */
  preflight(intent?: 'write' | 'read'): Promise<PreflightResult>;
  /**
   * Records read (by every read() so far) that the provider holds but does not serve, such
   * as PowerDNS's disabled records: the plan lists them as foreign, not served. Optional:
   * a provider without the notion leaves it out.
   */
  notServed?(): NotServed[];
  /** where verify should ask */
  nameservers(): Promise<Nameserver[]>;
  /** limits of this provider's writes a plan would exceed, judged at plan time (src/plan/limits.ts); none when absent */
  limitBreaches?(plan: Plan): LimitBreach[];
  close?(): Promise<void>;
}

export type ProviderFactory = (manifest: Manifest, ctx: ProviderContext) => Promise<Provider>;
