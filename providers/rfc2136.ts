import { randomInt } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { promises as fs } from 'node:fs';
import { isIP } from 'node:net';
import { decodeMessage, rcodeName } from '../src/dns/codec.js';
import { tcpExchange } from '../src/dns/tcp.js';
import { query, serverLabel, type Server } from '../src/dns/transport.js';
import { findTsig, parseSecret, signMessage, TSIG_ERRORS, TsigStream, verifyResponse, type TsigAlgorithm, type TsigKey } from '../src/dns/tsig.js';
import { answerRdataOctets, encodeAxfrQuery, encodeNoOpUpdate, encodeQuestion, encodeUpdate, splitUpdate, UPDATE_BUDGET, UpdateTooLarge, type UpdateSpec, type UpdateStep } from '../src/dns/update.js';
import { rdataWire } from '../src/dns/wire.js';
import { PartialApplyError, SrvctlError } from '../src/errors.js';
import type { Manifest } from '../src/manifest/types.js';
import type { Change, Plan } from '../src/plan/plan.js';
import { parseMarker, recordDigest } from '../src/records/ownership.js';
import { isSubdomain, normalizeName } from '../src/records/name.js';
import { rrsetKey, type Rec } from '../src/records/record.js';
import type { LimitBreach } from '../src/plan/limits.js';
import type { ApplyResult, Nameserver, Provider, ProviderContext, PreflightResult } from './provider.js';
import { namedSecret } from './secrets.js';
import { READ_TYPES, RRsetSnapshot } from './snapshot.js';

const TIMEOUT_MS = 10_000;

/** The TSIG secret from the environment or a file only its owner can read; never echoed. */
export async function loadTsigKey(tsig: Record<string, unknown>, env: ProviderContext['env']): Promise<TsigKey> {
  const name = normalizeName(String(tsig.name));
  const algorithm = (tsig.algorithm ?? 'hmac-sha256') as TsigAlgorithm;
  let text: string;
  if (typeof tsig.secretEnv === 'string') {
    // The variable, or the systemd credential of that name (a tsig-keygen key clause works there too).
    text = await namedSecret(env, tsig.secretEnv, 'provider.tsig.secretEnv', `the TSIG secret of key ${name}`);
    const clause = /secret\s+"([^"]+)"/.exec(text);
    if (clause) text = clause[1]!;
  } else {
    const file = String(tsig.secretFile);
    let st;
    try {
      st = await fs.stat(file);
    } catch (e) {
      throw new SrvctlError('provider', `cannot read provider.tsig.secretFile ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    if (st.mode & 0o077) {
      throw new SrvctlError('provider', `provider.tsig.secretFile ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}): run chmod 600 ${file}`);
    }
    text = (await fs.readFile(file, 'utf8')).trim();
    // tsig-keygen writes a key clause; accept it as well as the bare secret.
    const clause = /secret\s+"([^"]+)"/.exec(text);
    if (clause) text = clause[1]!;
  }
  try {
    return { name, algorithm, secret: parseSecret(text, typeof tsig.secretEnv === 'string' ? `environment variable ${tsig.secretEnv}` : `secretFile ${String(tsig.secretFile)}`) };
  } catch (e) {
    throw new SrvctlError('provider', (e as Error).message);
  }
}

function unsignedFailure(rcode: string, tsigError: string | undefined, key: TsigKey, server: Server, zone: string, nothing = 'nothing was changed'): string {
  const where = serverLabel(server);
  switch (tsigError) {
    case 'BADSIG':
      return `${where} rejected the signature of key ${key.name} (BADSIG): the secret does not match the server's copy of the key`;
    case 'BADKEY':
      return `${where} does not know key ${key.name} (BADKEY): check tsig.name and tsig.algorithm against the server's key clause`;
    case 'BADTIME':
      return `${where} rejected the request time (BADTIME): this clock and the server's differ by more than 5 minutes`;
  }
  switch (rcode) {
    case 'REFUSED':
      return `${where} refused the update (REFUSED): key ${key.name} has no update rights for these names in zone ${zone} (update-policy / allow-update)`;
    case 'NOTAUTH':
      return `${where} is not authoritative for zone ${zone} or rejected key ${key.name} (NOTAUTH)`;
    case 'NOTZONE':
      return `${where}: a name in the update is outside zone ${zone} (NOTZONE)`;
    case 'SERVFAIL':
      return `${where} failed to apply the update (SERVFAIL): see the server's log`;
    case 'YXRRSET':
    case 'NXRRSET':
    case 'YXDOMAIN':
    case 'NXDOMAIN':
      return `the records at ${where} changed since the plan (prerequisite failed: ${rcode}); ${nothing}. Run srvctl again`;
    default:
      return `${where} answered ${rcode}`;
  }
}

/**
 * A TSIG error is a credential failure on every path (query, transfer, update): the key
 * name, the secret or the clock is wrong, and no unsigned fallback may hide it. On an
 * UPDATE after the same key signed a query that verified, BADKEY cannot mean "unknown
 * key": Knot answers NOTAUTH + BADKEY when the key exists but its ACL lacks the update
 * (or transfer) action.
 */
export function credentialFailure(tsigError: string, key: TsigKey, server: Server, path: 'query' | 'transfer' | 'update', keyProven: boolean): string {
  const where = serverLabel(server);
  switch (tsigError) {
    case 'BADSIG':
      return `${where} rejected the signature of key ${key.name} (BADSIG on the ${path}): the secret does not match the server's copy of the key`;
    case 'BADKEY':
      if (keyProven && path !== 'query') return `${where} knows key ${key.name} (a query signed with it verified) but refused the ${path} with BADKEY: the key lacks the ${path} right (Knot: add action ${path} to the key's ACL; BIND: ${path === 'update' ? 'update-policy grant' : 'allow-transfer'})`;
      return `${where} does not know key ${key.name} (BADKEY on the ${path}): check tsig.name and tsig.algorithm against the server's key clause (Knot answers so too for a key that no ACL names)`;
    case 'BADTIME':
      return `${where} rejected the request time (BADTIME on the ${path}): this clock and the server's differ by more than the fudge (300 s); fix the clock`;
    default:
      return `${where} answered the ${path} with TSIG error ${tsigError}`;
  }
}

/** A signed exchange that failed; `sent`: the message went out, so an UPDATE's effect is unknown. */
class ExchangeFailed extends SrvctlError {
  constructor(
    message: string,
    readonly sent: boolean,
  ) {
    super('provider', message);
  }
}

class Rfc2136Provider implements Provider {
  readonly type = 'rfc2136';
  /**
   * BIND 9.18 (from 9.18.28) refuses an update that would make an RRset of more than
   * `max-records-per-type` records, default 100 (`named -C` of the installed 9.18.49 prints
   * `max-records-per-type 100;`). srvctl cannot ask the server, so it assumes BIND's default.
   * apply may split into several UPDATEs (splitUpdate): atomic per message, not per plan.
   */
  readonly capabilities = { atomicApply: false, comments: false, preflightProvesWrite: true, maxRecordsPerRRset: 100, maxRecordsPerRRsetSource: "BIND 9.18's default max-records-per-type, assumed for an RFC 2136 server" };
  readonly description: string;
  private readonly snapshot = new RRsetSnapshot();
  private readonly timeoutMs: number;
  /** a query signed with the key verified in this run */
  private keyProven = false;

  constructor(
    private readonly server: Server,
    private readonly zone: string,
    private readonly key: TsigKey,
    private readonly ctx: ProviderContext,
  ) {
    this.description = `zone ${zone} on ${serverLabel(server)} (RFC 2136, TSIG key ${key.name})`;
    this.timeoutMs = Number(ctx.env.SRVCTL_TCP_TIMEOUT_MS) > 0 ? Number(ctx.env.SRVCTL_TCP_TIMEOUT_MS) : TIMEOUT_MS;
  }

  private now(): number {
    return Math.floor(this.ctx.now().getTime() / 1000);
  }

  /** The whole zone by AXFR signed with the key, or null when the server will not transfer it. */
  private async axfr(): Promise<Rec[] | null> {
    const { signed, mac } = signMessage(encodeAxfrQuery(randomInt(65536), this.zone), this.key, this.now());
    const stream = new TsigStream(this.key, mac);
    const records: Rec[] = [];
    let soaSeen = 0;
    let refusal: string | null = null;
    try {
      await tcpExchange(this.server, signed, this.timeoutMs, (buf) => {
        const msg = decodeMessage(buf);
        if (msg.rcode !== 0) {
          const tsigError = findTsig(buf)?.error;
          if (tsigError) throw new SrvctlError('provider', credentialFailure(TSIG_ERRORS[tsigError] ?? String(tsigError), this.key, this.server, 'transfer', this.keyProven));
          const rcode = rcodeName(msg.rcode);
          // Only a plain refusal means "no transfers for you": read with queries instead.
          if (rcode !== 'REFUSED' && rcode !== 'NOTAUTH') throw new SrvctlError('provider', `zone transfer of ${this.zone} from ${serverLabel(this.server)} answered ${rcode}`);
          refusal = rcode;
          return true;
        }
        const problem = stream.feed(buf, this.now());
        if (problem) throw new SrvctlError('provider', `zone transfer from ${serverLabel(this.server)}: ${problem}`);
        const octets = answerRdataOctets(buf);
        const aligned = octets.length === msg.answers.length && msg.errors.length === 0;
        msg.answers.forEach((r, i) => {
          if (aligned && octets[i]) this.readOctets.set(r, octets[i]!);
          if (r.type === 'SOA') soaSeen++;
          if (soaSeen < 2 || r.type !== 'SOA') records.push(r);
        });
        return soaSeen >= 2;
      });
    } catch (e) {
      if (e instanceof SrvctlError) throw e;
      throw new SrvctlError('provider', `zone transfer from ${serverLabel(this.server)}: ${(e as Error).message}`);
    }
    if (refusal) {
      this.ctx.debug(`AXFR of ${this.zone} from ${serverLabel(this.server)} answered ${refusal}; reading the managed names with queries instead`);
      return null;
    }
    if (!stream.complete()) throw new SrvctlError('provider', `zone transfer from ${serverLabel(this.server)} did not end on a signed message`);
    this.ctx.debug(`read ${records.length} records of ${this.zone} by AXFR (TSIG verified)`);
    return records;
  }

  private async byQueries(names: readonly string[]): Promise<Rec[]> {
    const out: Rec[] = [];
    for (const name of names) {
      for (const type of READ_TYPES) {
        let a;
        try {
          a = await query(this.server, name, type, { timeoutMs: 2000, retries: 2 });
        } catch (e) {
          throw new SrvctlError('provider', `reading ${name} ${type} from ${serverLabel(this.server)}: ${(e as Error).message}`);
        }
        if (a.rcode !== 'NOERROR' && a.rcode !== 'NXDOMAIN') throw new SrvctlError('provider', `${serverLabel(this.server)} answered ${a.rcode} for ${name} ${type}`);
        if (!a.aa) throw new SrvctlError('provider', `${serverLabel(this.server)} is not authoritative for ${name} (no AA flag): is it the primary of ${this.zone}?`);
        out.push(...a.answers.filter((r) => r.name === name && r.type === type));
      }
    }
    this.ctx.debug(`read ${names.length} managed names from ${serverLabel(this.server)} with direct queries`);
    return out;
  }

  async read(names: readonly string[]): Promise<Rec[]> {
    const wanted = new Set(names);
    const all = (await this.axfr())?.filter((r) => wanted.has(r.name)) ?? (await this.byQueries(names));
    this.snapshot.record(names, all);
    return all;
  }

  /** The rdata octets as the transfer carried them (A, AAAA, TXT), else the presentation form encoded. */
  private readonly readOctets = new WeakMap<Rec, Buffer>();
  private readonly rdataOf = (r: Rec): Buffer => this.readOctets.get(r) ?? rdataWire(r);

  /**
   * The plan in as many signed UPDATEs as 64 KiB messages need (see splitUpdate), in the
   * order of orderedSteps. All are encoded before the first is sent: a change that cannot
   * fit one message is refused with nothing sent. When UPDATE k fails, 1..k-1 stay
   * applied and the error names them; no undo is sent (see the README: the order leaves
   * records etcd can use at every step, an undo could fail the same way, and the next
   * sync continues from what was applied, markers included).
   */
  async apply(plan: Plan): Promise<ApplyResult> {
    if (plan.changes.length === 0) return { applied: 0, notes: [] };
    let specs: UpdateSpec[];
    try {
      specs = this.split(plan);
    } catch (e) {
      if (e instanceof UpdateTooLarge) throw new SrvctlError('provider', `${e.message}; nothing was sent`);
      throw e;
    }
    const encoded = specs.map((spec) => encodeUpdate(randomInt(65536), spec, this.rdataOf));
    const n = specs.length;
    const done: string[] = [];
    for (let i = 0; i < n; i++) {
      const spec = specs[i]!;
      const what = n === 1 ? `update of ${this.zone}` : `UPDATE ${i + 1} of ${n} (${describe(spec, encoded[i]!.length)})`;
      try {
        await this.send(encoded[i]!, what, i === 0 ? 'nothing is known to have changed, run srvctl again' : `whether UPDATE ${i + 1} was applied is unknown`, i === 0 ? 'nothing was changed' : `UPDATE ${i + 1} changed nothing`);
      } catch (e) {
        if (!(e instanceof SrvctlError)) throw e;
        const unknown = e instanceof ExchangeFailed && e.sent;
        if (i === 0 && !unknown) throw e;
        if (i === 0) {
          // Sent and never (or not verifiably) answered: the server may have applied it.
          throw new PartialApplyError(
            `${e.message}; whether ${n === 1 ? 'the UPDATE' : `UPDATE 1 of ${n}`} was applied is unknown${n > 1 ? `, ${n - 1} not sent` : ''}. Run srvctl plan to see what the server holds, then sync again`,
            [`unknown: UPDATE 1 of ${n}: ${describe(spec, encoded[0]!.length)}`, ...specs.slice(1).map((s2, j) => `not sent: UPDATE ${j + 2} of ${n}: ${describe(s2, encoded[j + 1]!.length)}`)],
            0,
            n,
            true,
          );
        }
        throw new PartialApplyError(
          `${(e as Error).message}; ${i > 1 ? `UPDATEs 1–${i} of ${n} were applied and stay` : `UPDATE 1 of ${n} was applied and stays`} (no undo: each leaves records etcd can use), ${n - i - 1} not sent. Run srvctl again to finish`,
          [...done.map((d, j) => `applied: UPDATE ${j + 1} of ${n}: ${d}`), `failed: UPDATE ${i + 1} of ${n}: ${describe(spec, encoded[i]!.length)}`, ...specs.slice(i + 1).map((s2, j) => `not sent: UPDATE ${i + j + 2} of ${n}: ${describe(s2, encoded[i + j + 1]!.length)}`)],
          i,
          n,
          unknown,
        );
      }
      done.push(describe(spec, encoded[i]!.length));
      this.snapshot.forget(spec.prerequisites.map((p) => rrsetKey(p)));
    }
    const deletes = specs.reduce((a, s2) => a + s2.deletes.length, 0);
    const adds = specs.reduce((a, s2) => a + s2.adds.length, 0);
    if (n === 1) return { applied: plan.changes.length, notes: [`sent one signed UPDATE (${deletes} deletions, ${adds} additions, ${specs[0]!.prerequisites.length} RRsets as prerequisites) to ${serverLabel(this.server)}`] };
    return {
      applied: plan.changes.length,
      notes: [`sent ${n} signed UPDATEs (${deletes} deletions, ${adds} additions in all), each under 64 KiB with the RRsets it touches as prerequisites, to ${serverLabel(this.server)}`, ...done.map((d, i) => `  UPDATE ${i + 1} of ${n}: ${d}`)],
    };
  }

  /** A change that cannot be guarded within one UPDATE, found at plan time (the same split apply makes). */
  limitBreaches(plan: Plan): LimitBreach[] {
    try {
      this.split(plan);
      return [];
    } catch (e) {
      if (!(e instanceof UpdateTooLarge)) throw e;
      return [{ limit: 'update-message', name: e.record.name, type: e.record.type, max: UPDATE_BUDGET, size: e.octets, records: e.records, fits: 0, source: 'a DNS message over TCP (RFC 1035 §4.2.2), less room for the TSIG record', message: e.message }];
    }
  }

  /** The last split: plan-time limits and apply split the same plan over the same snapshot. */
  private lastSplit?: { plan: Plan; changes: Plan['changes']; count: number; version: number; specs: UpdateSpec[] };

  /** The plan's UPDATEs (splitUpdate), computed once per plan and snapshot state. */
  private split(plan: Plan): UpdateSpec[] {
    const last = this.lastSplit;
    if (last && last.plan === plan && last.changes === plan.changes && last.count === plan.changes.length && last.version === this.snapshot.version) return last.specs;
    const specs = splitUpdate(this.zone, orderedSteps(plan), (k) => this.snapshot.get(k), this.rdataOf);
    this.lastSplit = { plan, changes: plan.changes, count: plan.changes.length, version: this.snapshot.version, specs };
    return specs;
  }

  /** One signed UPDATE; throws the cause unless the server applied it and signed its NOERROR. */
  private async send(message: Buffer, what: string, hint: string, nothing: string): Promise<void> {
    const { reply, mac } = await this.exchange(message, what, hint);
    const rcode = rcodeName(reply[3]! & 0x0f);
    const verdict = verifyResponse(reply, this.key, mac, this.now());
    if (rcode !== 'NOERROR') throw new SrvctlError('provider', unsignedFailure(rcode, verdict.ok ? undefined : verdict.tsigError, this.key, this.server, this.zone, nothing));
    if (!verdict.ok) throw new ExchangeFailed(`${serverLabel(this.server)} answered NOERROR but ${verdict.problem}: the update may have been applied by someone else's server; run srvctl plan`, true);
  }

  /** One signed message, one reply with the same ID, over TCP; `hint` says what to do when it fails. */
  private async exchange(message: Buffer, what: string, hint?: string): Promise<{ reply: Buffer; mac: Buffer }> {
    const id = message.readUInt16BE(0);
    const { signed, mac } = signMessage(message, this.key, this.now());
    let reply: Buffer | undefined;
    try {
      await tcpExchange(this.server, signed, this.timeoutMs, (buf) => {
        if (buf.readUInt16BE(0) !== id) return false;
        reply = buf;
        return true;
      });
    } catch (e) {
      const sent = (e as { sent?: boolean }).sent === true;
      throw new ExchangeFailed(`${what} to ${serverLabel(this.server)}: ${(e as Error).message}${hint ? `; ${hint}` : ''}`, sent);
    }
    return { reply: reply!, mac };
  }

  /** where preflight's no-op UPDATE adds and deletes its probe record: an empty name under the discovery domain */
  preflightName = '';

  /**
   * 1. A signed SOA query whose answer's TSIG is verified: proves key name, secret and
   *    clock. 2. A no-op UPDATE (add and delete one probe SRV record at the server SRV
   *    name, see encodeNoOpUpdate): proves the update right there without changing data,
   *    on BIND (REFUSED without it) and Knot (NOTAUTH + BADKEY without it) alike.
   */
  async preflight(): Promise<PreflightResult> {
    const checks: PreflightResult['checks'] = [];
    const q = await this.exchange(encodeQuestion(randomInt(65536), this.zone, 'SOA'), 'signed SOA query');
    const qVerdict = verifyResponse(q.reply, this.key, q.mac, this.now());
    const qRcode = rcodeName(q.reply[3]! & 0x0f);
    if (!qVerdict.ok && qVerdict.tsigError) throw new SrvctlError('provider', credentialFailure(qVerdict.tsigError, this.key, this.server, 'query', false));
    if (qRcode !== 'NOERROR') throw new SrvctlError('provider', `${serverLabel(this.server)} answered ${qRcode} to a signed SOA query for ${this.zone}: is it the primary of the zone?`);
    if (!qVerdict.ok) throw new SrvctlError('provider', `${serverLabel(this.server)} answered the signed SOA query but ${qVerdict.problem}: the key cannot be proven`);
    const soa = decodeMessage(q.reply);
    if (!soa.aa || !soa.answers.some((r) => r.type === 'SOA')) throw new SrvctlError('provider', `${serverLabel(this.server)} is not authoritative for ${this.zone} (no SOA with the AA flag)`);
    this.keyProven = true;
    checks.push({ check: 'TSIG key', detail: `a signed SOA query for ${this.zone} was answered with a verified signature of key ${this.key.name}` });

    const name = this.preflightName || this.zone;
    // A record added with a TTL other than its RRset's re-TTLs the whole RRset on BIND, and
    // that outlives the probe's deletion: the probe carries the TTL the read found there.
    const ttl = this.snapshot.get(rrsetKey({ name, type: 'SRV' }))[0]?.ttl ?? 1;
    const probe = { name, type: 'SRV', ttl, rdata: '0 0 1 srvctl-preflight.invalid.' };
    const u = await this.exchange(encodeNoOpUpdate(randomInt(65536), this.zone, probe), 'no-op UPDATE');
    const uVerdict = verifyResponse(u.reply, this.key, u.mac, this.now());
    const uRcode = rcodeName(u.reply[3]! & 0x0f);
    if (!uVerdict.ok && uVerdict.tsigError) throw new SrvctlError('provider', credentialFailure(uVerdict.tsigError, this.key, this.server, 'update', true));
    if (uRcode === 'REFUSED') throw new SrvctlError('provider', `${serverLabel(this.server)} refused the update (REFUSED): key ${this.key.name} has no update rights for ${name} in zone ${this.zone}: the key lacks the update right (update-policy / allow-update; proven by a no-op update that changes nothing)`);
    if (uRcode === 'NOTAUTH') throw new SrvctlError('provider', `${serverLabel(this.server)} is not authoritative for updates of zone ${this.zone} (NOTAUTH): send updates to the primary`);
    if (uRcode !== 'NOERROR') throw new SrvctlError('provider', `${serverLabel(this.server)} answered ${uRcode} to a no-op UPDATE of ${this.zone}`);
    if (!uVerdict.ok) throw new SrvctlError('provider', `${serverLabel(this.server)} answered the no-op UPDATE but ${uVerdict.problem}`);
    checks.push({ check: 'update right', detail: `a no-op update at ${name} (one probe record added and deleted in the same message, nothing changes) was accepted for key ${this.key.name}` });
    return { writeRight: true, checks };
  }

  /** The zone's NS set, asked of the primary; an NS at the primary's address is asked on its port. */
  async nameservers(): Promise<Nameserver[]> {
    const a = await query(this.server, this.zone, 'NS', { timeoutMs: 2000, retries: 2 });
    const hosts = a.answers.filter((r) => r.type === 'NS').map((r) => normalizeName(r.rdata));
    const out: Nameserver[] = [];
    for (const host of hosts) {
      let addrs: string[] = [];
      if (isSubdomain(host, this.zone)) {
        for (const type of ['A', 'AAAA']) addrs.push(...(await query(this.server, host, type, { timeoutMs: 2000, retries: 2 })).answers.filter((r) => r.type === type).map((r) => r.rdata));
      } else {
        addrs = await (await import('./ns-lookup.js')).outOfZoneAddresses(this.ctx, host);
      }
      for (const address of addrs) out.push({ name: host, host: address, port: address === this.server.host ? this.server.port : 53 });
    }
    if (out.length === 0) {
      this.ctx.debug(`the NS set of ${this.zone} has no usable address; verifying on the primary ${serverLabel(this.server)} only`);
      return [{ name: 'primary', host: this.server.host, port: this.server.port }];
    }
    return out;
  }
}

const ADDRESS = new Set(['A', 'AAAA']);

/**
 * The plan as steps that must each land whole (a record, what replaces it, and their
 * ownership markers: a record never lands without its marker, which would leave it
 * foreign to the next sync), ordered so that a failure between two UPDATEs leaves what
 * etcd tolerates: address records added first, then SRV (and other) records removed,
 * then SRV records added — removals before additions keep every intermediate RRset no
 * larger than the bigger of before and after, under the server's per-RRset limit — and
 * address records removed last, once no SRV record names them.
 */
export function orderedSteps(plan: Plan): UpdateStep[] {
  const markers = new Map<string, Change[]>();
  const markerKey = (name: string, type: string, digest: string) => `${name}\t${type}\t${digest}`;
  const records: Change[] = [];
  for (const c of plan.changes) {
    const r = (c.after ?? c.before)!;
    const m = c.marker ? parseMarker(r) : null;
    if (!m) {
      records.push(c);
      continue;
    }
    const k = markerKey(r.name, m.type, m.digest);
    markers.set(k, [...(markers.get(k) ?? []), c]);
  }
  const steps: { step: UpdateStep; phase: number }[] = [];
  const phaseOf = (type: string, adds: boolean) => (ADDRESS.has(type) ? (adds ? 0 : 3) : adds ? 2 : 1);
  for (const c of records) {
    const group = [c];
    for (const r of [c.before, c.after]) {
      if (!r) continue;
      const k = markerKey(r.name, r.type, recordDigest(r));
      group.push(...(markers.get(k) ?? []));
      markers.delete(k);
    }
    const r = (c.after ?? c.before)!;
    steps.push({ step: stepOf(group), phase: phaseOf(r.type, !!c.after) });
  }
  for (const group of markers.values()) {
    const m = parseMarker((group[0]!.after ?? group[0]!.before)!)!;
    steps.push({ step: stepOf(group), phase: phaseOf(m.type, group.some((c) => c.after)) });
  }
  // a stable sort: within a phase, the plan's order
  return steps.sort((a, b) => a.phase - b.phase).map((s) => s.step);
}

function stepOf(changes: readonly Change[]): UpdateStep {
  return { deletes: changes.filter((c) => c.before).map((c) => c.before!), adds: changes.filter((c) => c.after).map((c) => c.after!) };
}

function describe(spec: UpdateSpec, octets: number): string {
  const types = [...new Set([...spec.deletes, ...spec.adds].map((r) => r.type))].sort().join(', ');
  return `${spec.deletes.length} deletions, ${spec.adds.length} additions (${types}), ${spec.prerequisites.length} RRsets as prerequisites, ${octets} octets before its TSIG record`;
}

export async function create(manifest: Manifest, ctx: ProviderContext) {
  const o = manifest.provider.options;
  const port = typeof o.port === 'number' ? o.port : 53;
  let host = String(o.server);
  if (!isIP(host)) {
    try {
      host = (await lookup(host)).address;
    } catch (e) {
      throw new SrvctlError('provider', `cannot resolve provider.server ${String(o.server)}: ${(e as Error).message}`);
    }
  }
  const key = await loadTsigKey(o.tsig as Record<string, unknown>, ctx.env);
  const provider = new Rfc2136Provider({ host, port }, manifest.provider.zone, key, ctx);
  // A name that holds nothing, under the discovery domain: BIND bumps the serial when the
  // probe is added to and deleted from an RRset that exists (measured), not at an empty name.
  provider.preflightName = `_srvctl-preflight._tcp.${manifest.domain}`;
  return provider as Provider;
}
