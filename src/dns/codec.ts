import dns2 from 'dns2';
import { fqdn, normalizeName } from '../records/name.js';
import { canonicalIPv6, parseSrvRdata, parseTxtRdata, txtRdata, type Rec } from '../records/record.js';

/* dns2's typings do not cover its resource shapes; this file is the only place that sees them. */
/* eslint-disable @typescript-eslint/no-explicit-any */
const { Packet } = dns2 as any;

export const TYPE: Record<string, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, AXFR: 252, ANY: 255, CAA: 257 };
const TYPE_NAME: Record<number, string> = Object.fromEntries(Object.entries(TYPE).map(([k, v]) => [v, k]));
export const typeName = (code: number): string => TYPE_NAME[code] ?? `TYPE${code}`;

export const RCODE: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10 };
const RCODE_NAME: Record<number, string> = Object.fromEntries(Object.entries(RCODE).map(([k, v]) => [v, k]));
export const rcodeName = (code: number): string => RCODE_NAME[code] ?? `RCODE${code}`;

export interface Question {
  name: string; // normalized
  type: number;
  class: number;
}

export interface Message {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  rcode: number;
  questions: Question[];
  answers: Rec[];
  authority: Rec[];
  additional: Rec[];
  /** EDNS UDP payload size the sender advertised, if it sent an OPT record */
  ednsSize?: number;
  /** records dns2 could not decode */
  errors: string[];
}

/** Rec from a decoded dns2 resource; null for OPT and types srvctl cannot present. */
function resourceToRec(r: any): Rec | null {
  const name = normalizeName(r.name ?? '');
  const type = typeName(r.type);
  let rdata: string;
  switch (type) {
    case 'A':
      rdata = r.address;
      break;
    case 'AAAA':
      rdata = canonicalIPv6(r.address);
      break;
    case 'SRV':
      rdata = `${r.priority} ${r.weight} ${r.port} ${fqdn(normalizeName(r.target))}`;
      break;
    case 'CNAME':
    case 'PTR':
      rdata = fqdn(normalizeName(r.domain));
      break;
    case 'NS':
      rdata = fqdn(normalizeName(r.ns));
      break;
    case 'MX':
      rdata = `${r.priority} ${fqdn(normalizeName(r.exchange))}`;
      break;
    case 'TXT':
      rdata = txtRdata(r.data as string[]);
      break;
    case 'SOA':
      rdata = `${fqdn(normalizeName(r.primary))} ${fqdn(normalizeName(r.admin))} ${r.serial} ${r.refresh} ${r.retry} ${r.expiration} ${r.minimum}`;
      break;
    case 'OPT':
      return null;
    default:
      rdata = Buffer.isBuffer(r.data) ? `\\# ${r.data.length} ${r.data.toString('hex')}` : '';
  }
  return { name, type, ttl: r.ttl, rdata };
}

/** dns2 resource for a Rec of a type the embedded server serves; null otherwise. */
export function recToResource(r: Rec): any {
  const base = { name: r.name, type: TYPE[r.type], class: 1, ttl: r.ttl };
  const f = r.rdata.split(' ');
  switch (r.type) {
    case 'A':
    case 'AAAA':
      return { ...base, address: r.rdata };
    case 'SRV': {
      const s = parseSrvRdata(r.rdata)!;
      return { ...base, priority: s.priority, weight: s.weight, port: s.port, target: s.target };
    }
    case 'CNAME':
    case 'PTR':
      return { ...base, domain: normalizeName(r.rdata) };
    case 'NS':
      return { ...base, ns: normalizeName(r.rdata) };
    case 'MX':
      return { ...base, priority: Number(f[0]), exchange: normalizeName(f[1]!) };
    case 'TXT':
      // dns2 corrupts strings over 255 octets, so split them here (RFC 1035 character-strings).
      return { ...base, data: parseTxtRdata(r.rdata).flatMap(splitCharacterString) };
    case 'SOA':
      return { ...base, primary: normalizeName(f[0]!), admin: normalizeName(f[1]!), serial: +f[2]!, refresh: +f[3]!, retry: +f[4]!, expiration: +f[5]!, minimum: +f[6]! };
    default:
      return null;
  }
}

function splitCharacterString(s: string): Buffer[] {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length === 0) return [bytes];
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, i + 255));
  return out;
}

export function encodeQuery(id: number, name: string, type: number, opts: { rd: boolean; ednsSize?: number }): Buffer {
  const p = new Packet();
  p.header = { id, qr: 0, opcode: 0, rd: opts.rd ? 1 : 0 };
  p.questions = [{ name: normalizeName(name), type, class: 1 }];
  if (opts.ednsSize) p.additionals = [Packet.Resource.EDNS([], { udpPayloadSize: opts.ednsSize })];
  return p.toBuffer();
}

/** Decodes a message; throws only when not even the header can be read. */
export function decodeMessage(buf: Buffer): Message {
  const p = Packet.parse(buf);
  const opt = p.additionals.find((r: any) => r && r.type === TYPE.OPT);
  const recs = (list: any[]) => list.map(resourceToRec).filter((r): r is Rec => r !== null);
  return {
    id: p.header.id,
    qr: !!p.header.qr,
    opcode: p.header.opcode,
    aa: !!p.header.aa,
    tc: !!p.header.tc,
    rd: !!p.header.rd,
    rcode: p.header.rcode,
    questions: p.questions.map((q: any) => ({ name: normalizeName(q.name ?? ''), type: q.type, class: q.class })),
    answers: recs(p.answers),
    authority: recs(p.authorities),
    additional: recs(p.additionals),
    ednsSize: opt ? Math.max(512, opt.class) : undefined,
    errors: p.errors.map((e: Error) => e.message),
  };
}

/** A reply to build: a Message without the parts only a decoder fills in (QR is always set). */
export type ResponseSpec = Omit<Message, 'qr' | 'errors'>;

export function encodeResponse(s: ResponseSpec): Buffer {
  const p = new Packet();
  p.header = { id: s.id, qr: 1, opcode: s.opcode, aa: s.aa ? 1 : 0, tc: s.tc ? 1 : 0, rd: s.rd ? 1 : 0, ra: 0, rcode: s.rcode };
  p.questions = s.questions.map((q) => ({ name: q.name, type: q.type, class: q.class }));
  const res = (list: Rec[]) => list.map(recToResource).filter((r) => r !== null);
  p.answers = res(s.answers);
  p.authorities = res(s.authority);
  p.additionals = res(s.additional);
  if (s.ednsSize) p.additionals.push(Packet.Resource.EDNS([], { udpPayloadSize: s.ednsSize }));
  return p.toBuffer();
}

/** A header-only reply (FORMERR for garbage that still has an ID). */
export function encodeBareResponse(id: number, rcode: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(0x8000 | (rcode & 0xf), 2);
  return b;
}
