import { isSubdomain, labelsToName, nameToLabels, normalizeName } from '../records/name.js';
import type { Rec } from '../records/record.js';
import { RCODE, recordRdataWire, TYPE, typeName, type Message, type ResponseSpec } from './codec.js';
import { readName } from './rdata.js';

/**
 * The answer logic of srvctl's authoritative server, without sockets: one zone, AA set,
 * NXDOMAIN/NODATA with the SOA in authority (RFC 2308), REFUSED outside the zone (it is no
 * resolver), NOTIMP for other opcodes and zone transfers. The lookup follows RFC 1034
 * §4.3.2 with RFC 4592 wildcards, in the shape of CoreDNS's plugin/file lookup: one
 * function that returns what kind of answer it found.
 */
export type LookupResult =
  /** the RRset asked for (or, for ANY, every RRset at the name) */
  | { kind: 'success'; answers: Rec[] }
  /** the name is at or below a zone cut: the child's NS RRset, and glue */
  | { kind: 'referral'; ns: Rec[] }
  /** no such name; `chain` holds the CNAMEs that led there */
  | { kind: 'nxdomain'; chain: Rec[] }
  /** the name exists without that type */
  | { kind: 'nodata'; chain: Rec[] }
  /** a DNAME substitution made a name too long (RFC 6672 §2.2) */
  | { kind: 'yxdomain'; chain: Rec[] }
  /** a CNAME leads out of the zone: the chain so far is the answer */
  | { kind: 'cname'; answers: Rec[] };

const MAX_CHAIN = 12;

/** Parent of a normalized name, skipping escaped dots; null for a single label. */
function parentOf(name: string): string | null {
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '\\') i++;
    else if (c === '.') return name.slice(i + 1);
  }
  return null;
}

/** Type preference for RFC 8482's one RRset for ANY over UDP: the first present wins. */
const ANY_PICK = ['CNAME', 'SOA', 'NS', 'A', 'AAAA', 'SRV', 'MX', 'TXT'];

export class Authority {
  readonly origin: string;
  /** name → type → RRset */
  private readonly byName = new Map<string, Map<string, Rec[]>>();
  private readonly soa: Rec;
  private readonly existing = new Set<string>();
  /** names below the apex that hold NS records: delegations (RFC 1034 §4.2.1) */
  private readonly cuts = new Set<string>();
  /** owners of DNAME records (RFC 6672) */
  private readonly dnames = new Set<string>();
  /** records the server cannot put on the wire (rdata kept as written, e.g. LOC) */
  readonly unservable: Rec[] = [];

  constructor(origin: string, records: readonly Rec[]) {
    this.origin = origin;
    for (const r of records) {
      if (!isSubdomain(r.name, origin)) continue;
      try {
        recordRdataWire(r);
      } catch {
        this.unservable.push(r);
        continue;
      }
      let types = this.byName.get(r.name);
      if (!types) this.byName.set(r.name, (types = new Map()));
      const set = types.get(r.type);
      if (set) set.push(r);
      else types.set(r.type, [r]);
      if (r.type === 'NS' && r.name !== origin) this.cuts.add(r.name);
      if (r.type === 'DNAME') this.dnames.add(r.name);
      // Every ancestor up to the apex exists, as an empty non-terminal if nothing else.
      for (let n: string | null = r.name; n !== null && n !== origin; n = parentOf(n)) this.existing.add(n);
    }
    this.existing.add(origin);
    const soa = this.byName.get(origin)?.get('SOA')?.[0];
    if (!soa) throw new Error(`zone ${origin} has no SOA record at its apex`);
    this.soa = soa;
  }

  get serial(): number {
    return Number(this.soa.rdata.split(' ')[2]);
  }

  /** The zone cut at or above `name` (below the apex), if any: the topmost one wins. */
  private cutAbove(name: string, qtype: number): string | null {
    if (this.cuts.size === 0) return null;
    let found: string | null = null;
    for (let n: string | null = name; n !== null && n !== this.origin; n = parentOf(n)) {
      // DS at the cut belongs to this (the parent) side (RFC 4035 §3.1.4.1).
      if (this.cuts.has(n) && !(n === name && qtype === TYPE.DS)) found = n;
    }
    return found;
  }

  private rrsets(name: string): Map<string, Rec[]> | undefined {
    return this.byName.get(name);
  }

  /** RFC 4592: the wildcard that would synthesize `name`, from its closest encloser. */
  private wildcardFor(name: string): { owner: string; sets: Map<string, Rec[]> } | null {
    for (let n = parentOf(name); n !== null; n = parentOf(n)) {
      if (this.existing.has(n) || n === this.origin) {
        const wild = `*.${n}`;
        const sets = this.byName.get(wild);
        return sets ? { owner: wild, sets } : null;
      }
      if (!isSubdomain(n, this.origin)) return null;
    }
    return null;
  }

  /** One name, one type, following CNAMEs inside the zone. */
  lookup(qname: string, qtype: number, transport: 'udp' | 'tcp' = 'udp'): LookupResult {
    const chain: Rec[] = [];
    const seen = new Set<string>();
    let name = qname;
    const wanted = typeName(qtype);
    for (let step = 0; step < MAX_CHAIN; step++) {
      const cut = this.cutAbove(name, qtype);
      if (cut) {
        if (chain.length) return { kind: 'cname', answers: chain };
        return { kind: 'referral', ns: this.byName.get(cut)!.get('NS')! };
      }
      const dname = this.dnameAbove(name);
      if (dname) {
        // RFC 6672 §3: the DNAME, then a CNAME synthesised from it (same TTL), then on.
        const next = dname.rewrite(name);
        if (next === null) return { kind: 'yxdomain', chain: [...chain, dname.rec] };
        chain.push(dname.rec, { name, type: 'CNAME', ttl: dname.rec.ttl, rdata: `${next}.` });
        if (!isSubdomain(next, this.origin) || seen.has(next)) return { kind: 'cname', answers: chain };
        seen.add(name);
        name = next;
        continue;
      }
      let sets = this.rrsets(name);
      let synthesize = false;
      if (!sets) {
        if (this.existing.has(name)) return { kind: 'nodata', chain };
        const wild = this.wildcardFor(name);
        if (!wild) return { kind: 'nxdomain', chain };
        sets = wild.sets;
        synthesize = true;
      }
      const owned = (list: Rec[]) => (synthesize ? list.map((r) => ({ ...r, name })) : list);
      if (qtype === TYPE.ANY) {
        const all = [...sets.values()];
        if (transport === 'udp') {
          // RFC 8482 §4.1: over UDP, one RRset of the name's, not all of them.
          const pick = ANY_PICK.map((t) => sets!.get(t)).find((s) => s) ?? all[0]!;
          return { kind: 'success', answers: [...chain, ...owned(pick)] };
        }
        return { kind: 'success', answers: [...chain, ...owned(all.flat())] };
      }
      const exact = sets.get(wanted);
      if (exact) return { kind: 'success', answers: [...chain, ...owned(exact)] };
      const cname = sets.get('CNAME')?.[0];
      if (cname && qtype !== TYPE.CNAME) {
        chain.push(...owned([cname]));
        const target = cname.rdata.slice(0, -1);
        if (!isSubdomain(target, this.origin) || seen.has(target)) return { kind: 'cname', answers: chain };
        seen.add(name);
        name = target;
        continue;
      }
      return { kind: 'nodata', chain };
    }
    return { kind: 'cname', answers: chain };
  }

  /** The DNAME met first on the way down from the apex to `name` (a proper ancestor), if any. */
  private dnameAbove(name: string): { rec: Rec; rewrite: (n: string) => string | null } | null {
    if (this.dnames.size === 0) return null;
    let found: string | null = null;
    for (let n = parentOf(name); n !== null; n = parentOf(n)) {
      if (this.dnames.has(n)) found = n;
      if (n === this.origin) break;
    }
    if (!found) return null;
    const rec = this.byName.get(found)!.get('DNAME')![0]!;
    const wire = recordRdataWire(rec);
    const target = normalizeName(labelsToName(readName(wire, 0).labels));
    return {
      rec,
      rewrite: (n) => {
        const prefix = n.slice(0, n.length - found!.length - 1);
        const next = target === '' ? prefix : `${prefix}.${target}`;
        try {
          nameToLabels(next); // over 255 octets: YXDOMAIN (RFC 6672 §2.2)
          return next;
        } catch {
          return null;
        }
      },
    };
  }

  /** A/AAAA the zone holds for `target` (not below a cut), for the additional section. */
  private addressesOf(target: string): Rec[] {
    if (!isSubdomain(target, this.origin)) return [];
    const sets = this.byName.get(target);
    if (!sets) return [];
    return [...(sets.get('A') ?? []), ...(sets.get('AAAA') ?? [])];
  }

  private additionalFor(records: readonly Rec[], glue: boolean): Rec[] {
    const out: Rec[] = [];
    const done = new Set<string>();
    for (const r of records) {
      let target: string | undefined;
      if (r.type === 'SRV' || r.type === 'MX') target = r.rdata.slice(r.rdata.lastIndexOf(' ') + 1, -1);
      else if (r.type === 'NS') target = r.rdata.slice(0, -1);
      if (!target || target === '' || done.has(target)) continue;
      done.add(target);
      if (!glue && this.cutAbove(target, TYPE.A!)) continue;
      out.push(...this.addressesOf(target));
    }
    return out;
  }

  answer(q: Message, transport: 'udp' | 'tcp' = 'udp'): ResponseSpec {
    const base: ResponseSpec = { id: q.id, opcode: q.opcode, rd: q.rd, aa: false, tc: false, rcode: RCODE.NOERROR!, questions: q.questions, answers: [], authority: [], additional: [] };
    if (q.opcode !== 0) return { ...base, rcode: RCODE.NOTIMP! };
    if (q.qr || q.questions.length !== 1) return { ...base, rcode: RCODE.FORMERR! };
    const question = q.questions[0]!;
    if (question.class !== 1 && question.class !== 255) return { ...base, rcode: RCODE.REFUSED! };
    if (!isSubdomain(question.name, this.origin)) return { ...base, rcode: RCODE.REFUSED! };
    if (question.type === TYPE.AXFR || question.type === TYPE.IXFR) return { ...base, rcode: RCODE.NOTIMP! };

    const negativeSoa = { ...this.soa, ttl: Math.min(this.soa.ttl, Number(this.soa.rdata.split(' ')[6])) };
    const r = this.lookup(question.name, question.type, transport);
    switch (r.kind) {
      case 'referral':
        // Not authoritative for the child (RFC 1034 §4.3.2 step 3b): NS in authority, glue.
        return { ...base, authority: r.ns, additional: this.additionalFor(r.ns, true) };
      case 'nxdomain':
        return { ...base, aa: true, rcode: RCODE.NXDOMAIN!, answers: r.chain, authority: [negativeSoa] };
      case 'nodata':
        return { ...base, aa: true, answers: r.chain, authority: [negativeSoa] };
      case 'cname':
        return { ...base, aa: true, answers: r.answers };
      case 'yxdomain':
        return { ...base, aa: true, rcode: RCODE.YXDOMAIN!, answers: r.chain };
      case 'success':
        // ANY gets no additional records (as BIND): it is a debugging query, and RFC 8482 shrinks it anyway.
        return { ...base, aa: true, answers: r.answers, additional: question.type === TYPE.ANY ? [] : this.additionalFor(r.answers, false) };
    }
  }
}
