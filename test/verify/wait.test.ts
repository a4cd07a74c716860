import assert from 'node:assert/strict';
import { DnsQueryError } from '../../src/dns/transport.js';
import { waitForAgreement, type NamedServer } from '../../src/verify/verify.js';

/** Issue 15: a nameserver where nothing listens is not waited out for verify.wait. */
describe('verify: waiting for agreement', () => {
  const ns: NamedServer[] = [{ name: 'ns1', host: '127.0.0.1', port: 1 }];
  const expectations = [{ name: 'x.example.com', type: 'A', rdata: ['10.0.0.1'] }];

  it('connection refused ends the wait after one round, the cell marked refused', async () => {
    let slept = 0;
    const refused = new DnsQueryError('unreachable', { host: '127.0.0.1', port: 1 }, 'nameserver 127.0.0.1:1: connection refused', 'ECONNREFUSED');
    const report = await waitForAgreement(ns, expectations, async () => Promise.reject(refused), { waitMs: 120_000, sleep: async (ms) => void (slept += ms), now: () => slept });
    assert.equal(report.rounds, 1);
    assert.equal(slept, 0, 'no wait at all');
    assert.equal(report.cells[0]!.refused, true);
    assert.equal(report.ok, false);
  });

  it('a timeout is waited out until verify.wait (the server may be starting or lagging)', async () => {
    let slept = 0;
    const timeout = new DnsQueryError('timeout', { host: '127.0.0.1', port: 1 }, 'nameserver 127.0.0.1:1: no valid answer within 2s');
    const report = await waitForAgreement(ns, expectations, async () => Promise.reject(timeout), { waitMs: 10_000, sleep: async (ms) => void (slept += ms), now: () => slept });
    assert.ok(report.rounds > 3, `rounds ${report.rounds}`);
    assert.equal(report.cells[0]!.refused, undefined);
  });
});
