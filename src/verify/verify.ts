import type { Answer, Server } from '../dns/transport.js';
import { DnsQueryError } from '../dns/transport.js';
import type { Rec } from '../records/record.js';
import { mapLimit } from '../util/limit.js';

/** The records one RRset should hold on every nameserver (empty: the RRset must be gone). */
export interface Expectation {
  name: string;
  type: string;
  rdata: string[]; // sorted
}

export interface NamedServer extends Server {
  name: string;
}

export type CellStatus = 'ok' | 'differs' | 'lame' | 'error';

export interface Cell {
  nameserver: string;
  name: string;
  type: string;
  status: CellStatus;
  got: string[];
  missing: string[];
  extra: string[];
  detail?: string;
  /** nothing listens at the nameserver (ECONNREFUSED): waiting will not change this answer */
  refused?: boolean;
}

export interface VerifyReport {
  ok: boolean;
  nameservers: string[];
  expectations: Expectation[];
  cells: Cell[];
  rounds: number;
}

export type Ask = (server: NamedServer, name: string, type: string) => Promise<Answer>;

export function nsLabel(ns: NamedServer): string {
  const addr = ns.host.includes(':') ? `[${ns.host}]:${ns.port}` : `${ns.host}:${ns.port}`;
  return ns.name && ns.name !== ns.host ? `${ns.name} (${addr})` : addr;
}

/** Expectations for every RRset a plan touched, from the records the provider now holds. */
export function expectationsFor(after: readonly Rec[], rrsets: readonly { name: string; type: string }[]): Expectation[] {
  const seen = new Set<string>();
  const out: Expectation[] = [];
  for (const { name, type } of rrsets) {
    const key = `${name}\t${type}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ name, type, rdata: after.filter((r) => r.name === name && r.type === type).map((r) => r.rdata).sort() });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
}

export function judge(ns: string, e: Expectation, answer: Answer | Error): Cell {
  const cell: Cell = { nameserver: ns, name: e.name, type: e.type, status: 'ok', got: [], missing: [], extra: [] };
  if (answer instanceof Error) {
    const refused = answer instanceof DnsQueryError && answer.code === 'ECONNREFUSED';
    return { ...cell, status: 'error', detail: answer instanceof DnsQueryError ? answer.message : `query failed: ${answer.message}`, ...(refused ? { refused } : {}) };
  }
  if (answer.rcode !== 'NOERROR' && answer.rcode !== 'NXDOMAIN') return { ...cell, status: 'error', detail: `answered ${answer.rcode}` };
  if (!answer.aa) return { ...cell, status: 'lame', detail: 'answer without the AA flag: not authoritative for this zone' };
  const got = [...new Set(answer.answers.filter((r) => r.name === e.name && r.type === e.type).map((r) => r.rdata))].sort();
  const missing = e.rdata.filter((x) => !got.includes(x));
  const extra = got.filter((x) => !e.rdata.includes(x));
  return { ...cell, got, missing, extra, status: missing.length || extra.length ? 'differs' : 'ok' };
}

/** One round: every nameserver × every expectation, in parallel with a bound. */
export async function verifyOnce(nameservers: readonly NamedServer[], expectations: readonly Expectation[], ask: Ask, concurrency = 32): Promise<VerifyReport> {
  const jobs = nameservers.flatMap((ns) => expectations.map((e) => ({ ns, e })));
  const cells = await mapLimit(jobs, concurrency, async ({ ns, e }) => {
    try {
      return judge(nsLabel(ns), e, await ask(ns, e.name, e.type));
    } catch (err) {
      return judge(nsLabel(ns), e, err as Error);
    }
  });
  return { ok: cells.every((c) => c.status === 'ok'), nameservers: nameservers.map(nsLabel), expectations: [...expectations], cells, rounds: 1 };
}

export interface WaitOptions {
  waitMs: number;
  intervalMs?: number;
  now?: () => number;
  sleep: (ms: number) => Promise<void>;
  onRound?: (report: VerifyReport, elapsedMs: number) => void;
}

/**
 * Repeats verifyOnce until every nameserver agrees or waitMs runs out. A nameserver where
 * nothing listens (connection refused) ends the wait at once: propagation does not start a
 * server, and waiting it out only delays the failure by verify.wait.
 */
export async function waitForAgreement(nameservers: readonly NamedServer[], expectations: readonly Expectation[], ask: Ask, opts: WaitOptions): Promise<VerifyReport> {
  const now = opts.now ?? Date.now;
  const start = now();
  let interval = opts.intervalMs ?? 250;
  for (let round = 1; ; round++) {
    const report = { ...(await verifyOnce(nameservers, expectations, ask)), rounds: round };
    opts.onRound?.(report, now() - start);
    if (report.ok || report.cells.some((c) => c.refused) || now() - start + interval > opts.waitMs) return report;
    await opts.sleep(interval);
    interval = Math.min(interval * 2, 5000);
  }
}
