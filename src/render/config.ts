import type { Manifest, Member } from '../manifest/types.js';

/**
 * The etcd settings of one member as (flag name → value), in the order operators read
 * them. Every output format is a spelling of this list.
 */
export type Settings = [key: string, value: string][];

export interface RenderOptions {
  /** static mode: an initial-cluster list instead of discovery-srv */
  static?: boolean;
}

export function scheme(m: Manifest): 'https' | 'http' {
  return m.etcd.tls ? 'https' : 'http';
}

export function initialCluster(m: Manifest): string {
  return m.members.map((x) => `${x.name}=${x.advertisePeerUrl}`).join(',');
}

export function memberSettings(m: Manifest, member: Member, opts: RenderOptions = {}): Settings {
  const s = scheme(m);
  const out: Settings = [['name', member.name]];
  if (opts.static) {
    out.push(['initial-cluster', initialCluster(m)]);
  } else {
    out.push(['discovery-srv', m.domain]);
    if (m.etcd.serviceName) out.push(['discovery-srv-name', m.etcd.serviceName]);
  }
  out.push(
    ['initial-advertise-peer-urls', member.advertisePeerUrl],
    ['initial-cluster-token', m.etcd.token],
    // "existing" joins a running cluster; "new" on a joining member founds a second one.
    ['initial-cluster-state', member.state],
    ['advertise-client-urls', member.advertiseClientUrl],
    ['listen-client-urls', `${s}://0.0.0.0:${member.clientPort}`],
    ['listen-peer-urls', `${s}://${member.ipv4 ?? (member.ipv6 ? `[${member.ipv6}]` : '0.0.0.0')}:${member.peerPort}`],
  );
  if (m.etcd.tls && m.etcd.autoTls) {
    out.push(['auto-tls', 'true'], ['peer-auto-tls', 'true']);
  } else if (m.etcd.tls) {
    const dir = '/etc/ssl/etcd';
    out.push(
      ['cert-file', `${dir}/${member.name}.crt`],
      ['key-file', `${dir}/${member.name}.key`],
      ['trusted-ca-file', `${dir}/ca.crt`],
      ['client-cert-auth', 'true'],
      ['peer-cert-file', `${dir}/${member.name}-peer.crt`],
      ['peer-key-file', `${dir}/${member.name}-peer.key`],
      ['peer-trusted-ca-file', `${dir}/ca.crt`],
      ['peer-client-cert-auth', 'true'],
    );
  }
  return out;
}

/** One document shared by every member, when they differ only in their address. */
export function sharedSettings(m: Manifest): Settings | null {
  const first = m.members[0]!;
  const alike = m.members.every(
    (x) =>
      x.peerPort === first.peerPort &&
      x.clientPort === first.clientPort &&
      x.state === first.state &&
      x.ipv4 !== undefined &&
      x.advertisePeerUrl === `${scheme(m)}://${x.host}:${x.peerPort}`,
  );
  if (!alike || m.etcd.tls) return null;
  const s = scheme(m);
  // etcd2.service names the member after the machine id when `name` is absent; the
  // SRV match is by address, so $private_ipv4 must be what the member's host resolves to.
  return [
    ['discovery-srv', m.domain],
    ['initial-advertise-peer-urls', `${s}://$private_ipv4:${first.peerPort}`],
    ['initial-cluster-token', m.etcd.token],
    ['initial-cluster-state', first.state],
    ['advertise-client-urls', `${s}://$private_ipv4:${first.clientPort}`],
    ['listen-client-urls', `${s}://0.0.0.0:${first.clientPort}`],
    ['listen-peer-urls', `${s}://$private_ipv4:${first.peerPort}`],
  ];
}
