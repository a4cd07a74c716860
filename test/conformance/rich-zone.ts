import { encodeQuery, TYPE } from '../../src/dns/codec.js';

/** A zone with a bit of everything an authoritative server must get right (issue 13). */
export const ORIGIN = 'diff.test';

const big = Array.from({ length: 20 }, (_, i) => i + 1);
export const RICH_ZONE = [
  `$ORIGIN ${ORIGIN}.`,
  '$TTL 300',
  '@ 3600 IN SOA ns1 hostmaster 2026120101 3600 600 604800 120',
  '@ 3600 IN NS ns1',
  'ns1 IN A 127.0.0.1',
  'ns1 IN AAAA ::1',
  '@ IN MX 10 mail',
  'mail IN A 192.0.2.25',
  'txt IN TXT "hello" "a\\255b" "quote\\"back\\\\"',
  ...[1, 2, 3].map((n) => `_etcd-server-ssl._tcp IN SRV 0 0 2380 node${n}`),
  ...[1, 2, 3].map((n) => `node${n} IN A 192.0.2.${10 + n}`),
  'node1 IN AAAA 2001:db8::11',
  ...big.map((n) => `_big._tcp IN SRV 0 0 2380 n${n}`),
  ...big.map((n) => `n${n} IN A 198.51.100.${n}`),
  'c1 IN CNAME c2',
  'c2 IN CNAME www',
  'www IN A 192.0.2.80',
  'dangling IN CNAME missing',
  'out IN CNAME www.example.net.',
  '*.wild IN A 192.0.2.99',
  '*.wild IN TXT "wild"',
  'a.b.ent IN A 192.0.2.7',
  'sub IN NS ns.sub',
  'sub IN NS ns.other.net.',
  'ns.sub IN A 192.0.2.53',
  'caa IN CAA 0 issue "letsencrypt.org"',
  'hinfo IN HINFO "PC" "Linux"',
  '_443._tcp.tlsa IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  'sshfp IN SSHFP 4 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  'naptr IN NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp',
  'uri IN URI 10 1 "https://example.com/"',
  'svcb IN SVCB 1 . alpn=h2 port=8443',
  't65000 IN TYPE65000 \\# 3 abcdef',
  'dn IN DNAME ent',
  'ext IN DNAME example.net.',
  'a\\.b IN A 192.0.2.1',
  '\\200x IN A 192.0.2.2',
  '',
].join('\n');

export interface Probe {
  title: string;
  packet: Buffer;
  tcp?: boolean;
}

const q = (name: string, type: string, o: { edns?: number; do?: boolean } = {}) => encodeQuery(0x4242, name, TYPE[type] ?? Number(type.slice(4)), { rd: false, ednsSize: o.edns === undefined ? 1232 : o.edns, do: o.do });

/** The OPT record of a query made by encodeQuery is its last 11 octets. */
function withOptVersion(packet: Buffer, version: number): Buffer {
  const b = Buffer.from(packet);
  b[b.length - 5] = version;
  return b;
}

function withTwoOpts(packet: Buffer): Buffer {
  const b = Buffer.concat([packet, packet.subarray(packet.length - 11)]);
  b.writeUInt16BE(2, 10);
  return b;
}

function withCountPastEnd(packet: Buffer): Buffer {
  const b = Buffer.from(packet);
  b.writeUInt16BE(1, 6); // one answer record that is not there
  return b;
}

const n = (s: string) => (s === '@' ? ORIGIN : `${s}.${ORIGIN}`);

export const PROBES: Probe[] = [
  ...['SOA', 'NS', 'MX', 'A', 'TXT'].map((t) => ({ title: `apex ${t}`, packet: q(ORIGIN, t) })),
  { title: 'apex ANY over UDP', packet: q(ORIGIN, 'ANY') },
  { title: 'apex ANY over TCP', packet: q(ORIGIN, 'ANY'), tcp: true },
  { title: 'TXT with octets', packet: q(n('txt'), 'TXT') },
  { title: 'SRV set of 3 with target addresses', packet: q(n('_etcd-server-ssl._tcp'), 'SRV') },
  { title: 'SRV set of 20 over UDP without EDNS', packet: q(n('_big._tcp'), 'SRV', { edns: 0 }) },
  { title: 'SRV set of 20 over TCP', packet: q(n('_big._tcp'), 'SRV'), tcp: true },
  { title: 'AAAA', packet: q(n('node1'), 'AAAA') },
  { title: 'NODATA', packet: q(n('node2'), 'AAAA') },
  { title: 'NXDOMAIN', packet: q(n('nothing'), 'A') },
  { title: 'CNAME chain in the zone', packet: q(n('c1'), 'A') },
  { title: 'CNAME asked for', packet: q(n('c1'), 'CNAME') },
  { title: 'NODATA after a CNAME chain', packet: q(n('c1'), 'TXT') },
  { title: 'CNAME to a missing in-zone name', packet: q(n('dangling'), 'A') },
  { title: 'CNAME out of the zone', packet: q(n('out'), 'A') },
  { title: 'wildcard A', packet: q(n('x.wild'), 'A') },
  { title: 'wildcard two labels down', packet: q(n('x.y.wild'), 'TXT') },
  { title: 'wildcard NODATA', packet: q(n('x.wild'), 'MX') },
  { title: 'wildcard parent (empty non-terminal)', packet: q(n('wild'), 'A') },
  { title: 'the wildcard itself', packet: q(n('*.wild'), 'A') },
  { title: 'empty non-terminal', packet: q(n('b.ent'), 'A') },
  { title: 'below an empty non-terminal', packet: q(n('nothing.b.ent'), 'A') },
  { title: 'delegation: NS at the cut', packet: q(n('sub'), 'NS') },
  { title: 'delegation: a name below the cut', packet: q(n('host.sub'), 'A') },
  { title: 'delegation: the glue name', packet: q(n('ns.sub'), 'A') },
  { title: 'delegation: DS at the cut (parent side)', packet: q(n('sub'), 'DS') },
  { title: 'CAA', packet: q(n('caa'), 'CAA') },
  { title: 'HINFO', packet: q(n('hinfo'), 'HINFO') },
  { title: 'TLSA', packet: q(n('_443._tcp.tlsa'), 'TLSA') },
  { title: 'SSHFP', packet: q(n('sshfp'), 'SSHFP') },
  { title: 'NAPTR', packet: q(n('naptr'), 'NAPTR') },
  { title: 'URI', packet: q(n('uri'), 'URI') },
  { title: 'SVCB', packet: q(n('svcb'), 'SVCB') },
  { title: 'TYPE65000', packet: q(n('t65000'), 'TYPE65000') },
  { title: 'HINFO owner, other type', packet: q(n('hinfo'), 'A') },
  { title: 'DNAME itself', packet: q(n('dn'), 'DNAME') },
  { title: 'below a DNAME into the zone', packet: q(n('a.b.dn'), 'A') },
  { title: 'below a DNAME to a missing name', packet: q(n('zz.dn'), 'A') },
  { title: 'below a DNAME out of the zone', packet: q(n('host.ext'), 'A') },
  { title: 'escaped dot in an owner', packet: q(n('a\\.b'), 'A') },
  { title: 'octet 200 in an owner', packet: q(n('\\200x'), 'A') },
  { title: 'question case preserved', packet: q('NoDe1.DiFf.TeSt', 'A') },
  { title: 'DO bit copied', packet: q(n('node1'), 'A', { do: true }) },
  { title: 'no EDNS: no OPT', packet: q(n('node1'), 'A', { edns: 0 }) },
  { title: 'EDNS version 1: BADVERS', packet: withOptVersion(q(n('node1'), 'A'), 1) },
  { title: 'two OPT records: FORMERR', packet: withTwoOpts(q(n('node1'), 'A')) },
  { title: 'counts past the end: FORMERR', packet: withCountPastEnd(q(n('node1'), 'A', { edns: 0 })) },
  { title: 'outside the zone: REFUSED', packet: q('www.example.org', 'A') },
];
