import { isSubdomain } from '../records/name.js';
import type { Rec } from '../records/record.js';
import { RCODE, TYPE, typeName, type Message, type ResponseSpec } from './codec.js';

/**
 * The answer logic of srvctl's authoritative server, without sockets: one zone, AA set,
 * NXDOMAIN/NODATA with the SOA in authority (RFC 2308), REFUSED outside the zone (it is no
 * resolver), NOTIMP for other opcodes and zone transfers.
 */
export class Authority {
  readonly origin: string;
  private readonly byName = new Map<string, Rec[]>();
  private readonly soa: Rec;
  private readonly existing = new Set<string>();

  constructor(origin: string, records: readonly Rec[]) {
    this.origin = origin;
    for (const r of records) {
      if (!isSubdomain(r.name, origin)) continue;
      this.byName.set(r.name, [...(this.byName.get(r.name) ?? []), r]);
      // Every ancestor up to the apex exists, as an empty non-terminal if nothing else.
      for (let n = r.name; n !== origin && n.includes('.'); n = n.slice(n.indexOf('.') + 1)) this.existing.add(n);
    }
    this.existing.add(origin);
    const soa = this.byName.get(origin)?.find((r) => r.type === 'SOA');
    if (!soa) throw new Error(`zone ${origin} has no SOA record at its apex`);
    this.soa = soa;
  }

  get serial(): number {
    return Number(this.soa.rdata.split(' ')[2]);
  }

  answer(q: Message): ResponseSpec {
    const base: ResponseSpec = { id: q.id, opcode: q.opcode, rd: q.rd, aa: false, tc: false, rcode: RCODE.NOERROR!, questions: q.questions, answers: [], authority: [], additional: [] };
    if (q.opcode !== 0) return { ...base, rcode: RCODE.NOTIMP! };
    if (q.qr || q.questions.length !== 1) return { ...base, rcode: RCODE.FORMERR! };
    const question = q.questions[0]!;
    if (question.class !== 1 && question.class !== 255) return { ...base, rcode: RCODE.REFUSED! };
    if (!isSubdomain(question.name, this.origin)) return { ...base, rcode: RCODE.REFUSED! };
    if (question.type === TYPE.AXFR || question.type === 251 /* IXFR */) return { ...base, rcode: RCODE.NOTIMP! };

    const here = this.byName.get(question.name) ?? [];
    const negativeSoa = { ...this.soa, ttl: Math.min(this.soa.ttl, Number(this.soa.rdata.split(' ')[6])) };
    if (here.length === 0) {
      const exists = this.existing.has(question.name);
      return { ...base, aa: true, rcode: exists ? RCODE.NOERROR! : RCODE.NXDOMAIN!, authority: [negativeSoa] };
    }
    const wanted = typeName(question.type);
    const cname = here.find((r) => r.type === 'CNAME');
    let answers: Rec[];
    if (question.type === TYPE.ANY) answers = here;
    else if (cname && wanted !== 'CNAME') answers = [cname, ...(this.byName.get(cname.rdata.slice(0, -1)) ?? []).filter((r) => r.type === wanted)];
    else answers = here.filter((r) => r.type === wanted);
    if (answers.length === 0) return { ...base, aa: true, authority: [negativeSoa] };
    return { ...base, aa: true, answers };
  }
}
