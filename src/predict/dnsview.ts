import type { SrvData } from '../records/record.js';

/** What a name resolves to, as a member's resolver would see it. */
export type AddressLookup =
  | { ok: true; v4: string[]; v6: string[]; cname?: string }
  | { ok: false; error: 'no such host' | string };

export type SrvLookup = { ok: true; records: SrvData[] } | { ok: false; error: 'no such host' | string };

/** DNS as etcd's members will see it: SRV answers by name, address answers by host. */
export interface DnsView {
  srv: ReadonlyMap<string, SrvLookup>;
  hosts: ReadonlyMap<string, AddressLookup>;
}

export function srvAt(view: DnsView, name: string): SrvLookup {
  return view.srv.get(name) ?? { ok: false, error: 'no such host' };
}

export function hostAt(view: DnsView, host: string): AddressLookup {
  return view.hosts.get(host) ?? { ok: false, error: 'no such host' };
}
