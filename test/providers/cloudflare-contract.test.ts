import assert from 'node:assert/strict';
import { Contract } from '../support/cloudflare/contract.js';

describe('the Cloudflare contract the fake is held to', () => {
  const c = Contract.shared();
  const batch = c.match('POST', '/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records/batch')!;
  const list = c.match('GET', '/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records')!;

  it('routes literal path segments before parameters', () => {
    assert.equal(batch.template, '/zones/{zone_id}/dns_records/batch');
    assert.equal(c.match('PATCH', '/zones/z/dns_records/abc')!.template, '/zones/{zone_id}/dns_records/{dns_record_id}');
    assert.equal(c.match('POST', '/zones/z/nothing'), null);
  });

  it('accepts what srvctl sends', () => {
    const body = { posts: [{ name: '_etcd-server._tcp.coreos.example.com', type: 'SRV', ttl: 300, comment: 'srvctl', data: { priority: 0, weight: 0, port: 2380, target: 'node1.coreos.example.com' } }], deletes: [{ id: '023e105f4ecef8ad9ca31a8372d0c353' }] };
    assert.deepEqual(c.validateRequest(batch, new URLSearchParams(), body), []);
    assert.deepEqual(c.validateRequest(list, new URLSearchParams('per_page=5000&page=1&name.endswith=.coreos.example.com'), undefined), []);
  });

  it('rejects unknown query parameters, read-only fields and malformed bodies', () => {
    assert.match(c.validateRequest(list, new URLSearchParams('names=x'), undefined).join(), /query parameter "names" is not in the API/);
    assert.notDeepEqual(c.validateRequest(list, new URLSearchParams('per_page=0'), undefined), []);
    // SRV content is read-only: a write must use data
    const readOnly = { posts: [{ name: '_x._tcp.example.com', type: 'SRV', ttl: 300, content: '0 2380 node1.example.com', data: { priority: 0, weight: 0, port: 2380, target: 'node1.example.com' } }] };
    assert.notDeepEqual(c.validateRequest(batch, new URLSearchParams(), readOnly), []);
    assert.notDeepEqual(c.validateRequest(batch, new URLSearchParams(), { posts: [{ name: 'x.example.com', type: 'A', ttl: 300, content: 'not-an-ip' }] }), []);
    assert.notDeepEqual(c.validateRequest(batch, new URLSearchParams(), { deletes: [{}] }), []);
  });

  it('rejects a response that leaves out what the API promises', () => {
    assert.notDeepEqual(c.validateResponse(list, 200, { success: true, result: [] }), []);
    assert.deepEqual(c.validateResponse(list, 403, { success: false, errors: [{ code: 10000, message: 'Authentication error' }], messages: [], result: null }), []);
  });
});
