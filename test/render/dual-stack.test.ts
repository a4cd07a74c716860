import assert from 'node:assert/strict';
import { predictMember } from '../../src/predict/discovery.js';
import type { DnsView } from '../../src/predict/dnsview.js';

/**
 * Issue 17, dual stack: etcd finds itself in SRV by IPv4 (ResolveTCPAddr), but its
 * bootstrap check compares the first address Go's resolver returns, which on a dual-stack
 * machine is a global IPv6 address before IPv4 (RFC 6724 precedence), and IPv4 before a ULA.
 */
const D = 'example.test';
const SSL = `_etcd-server-ssl._tcp.${D}`;

function view(node1: string[]): DnsView {
  const hosts = new Map([[`node1.${D}`, { ok: true as const, v4: node1.filter((a) => !a.includes(':')), v6: node1.filter((a) => a.includes(':')) }]]);
  return { srv: new Map([[SSL, { ok: true as const, records: [{ priority: 0, weight: 0, port: 2380, target: `node1.${D}` }] }]]), hosts };
}

const predict = (addresses: string[]) =>
  predictMember({ version: '3.5', domain: D, serviceName: '', token: 'tok', view: view(addresses), member: { name: 'node1', advertisePeerUrls: ['https://10.0.0.1:2380'], state: 'new' } });

describe('dual-stack members: the prediction compares the address etcd\'s bootstrap check compares', () => {
  it('a global AAAA beside the A: found in SRV by IPv4, then refused by the bootstrap check (IPv6 compared)', () => {
    const p = predict(['10.0.0.1', '2001:db8::1']);
    assert.equal(p.outcome, 'exits');
    assert.equal(p.error, '--initial-cluster has node1=https://node1.example.test:2380 but missing from --initial-advertise-peer-urls=https://10.0.0.1:2380 (resolved urls: "https://10.0.0.1:2380" != "https://[2001:db8::1]:2380")');
  });

  it('a ULA AAAA sorts after IPv4: the member starts', () => {
    assert.equal(predict(['10.0.0.1', 'fd00::1']).outcome, 'starts');
  });

  it('IPv4 only: the member starts', () => {
    assert.equal(predict(['10.0.0.1']).outcome, 'starts');
  });
});
