import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import fc from 'fast-check';
import { decodeMessage, encodeQuery, encodeResponse, TYPE } from '../../src/dns/codec.js';
import type { RunningServer } from '../../src/dns/server.js';
import { DnsQueryError, query } from '../../src/dns/transport.js';
import { parseZone } from '../../src/dns/zonefile.js';
import { parseManifest } from '../../src/manifest/load.js';
import { rec } from '../../src/records/record.js';
import { dig } from '../support/dig.js';
import { fixtureText } from '../support/manifests.js';
import { serveText } from '../support/zone.js';

const PLACE = /^c\.yaml:\d+:\d+$/;

describe('hardening: manifests', function () {
  this.timeout(120_000);
  const base = fixtureText();

  it('random text never crashes the parser; every finding has file:line:column', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const r = parseManifest('c.yaml', text);
        for (const f of r.findings) assert.match(f.where, PLACE, `${f.where}: ${f.message}`);
        if (!r.manifest) assert.ok(r.findings.some((f) => f.severity === 'error'));
      }),
      { numRuns: 400 },
    );
  });

  it('mutated manifests never crash the parser and always point at a place', () => {
    const lines = base.split('\n');
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(lines.length - 1) }),
      fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(lines.length - 1) }),
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(lines.length - 1), text: fc.constantFrom('  ipv4: 300.1.1.1', '  peerPort: -1', 'members: {}', '    host: "."', '  - name:', 'cluster: ""', '\t', '  &a *a', 'ttl: 1e99', '    weight: 70000', '"', '- [', 'etcd: 3.4', '    host: node1.coreos.example.com') }),
      fc.record({ kind: fc.constant('chars' as const), at: fc.nat(base.length), text: fc.string({ maxLength: 6 }) }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
        let ls = [...lines];
        let text = base;
        for (const m of muts) {
          if (m.kind === 'delete') ls.splice(m.at % ls.length, 1);
          else if (m.kind === 'duplicate') ls.splice(m.at % ls.length, 0, ls[m.at % ls.length]!);
          else if (m.kind === 'replace') ls[m.at % ls.length] = m.text;
          text = ls.join('\n');
          if (m.kind === 'chars') {
            text = text.slice(0, m.at) + m.text + text.slice(m.at);
            ls = text.split('\n');
          }
        }
        const r = parseManifest('c.yaml', text);
        for (const f of r.findings) assert.match(f.where, PLACE);
      }),
      { numRuns: 600 },
    );
  });

  it('random zone file text never crashes the parser: it parses or names a line and column', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        try {
          parseZone(`$TTL 300\n${text}`, 'example.com');
        } catch (e) {
          assert.ok(typeof (e as { line?: number }).line === 'number', `unexpected ${(e as Error).message}`);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('hardening: the query transport', function () {
  this.timeout(120_000);
  const good = encodeResponse({ id: 1, opcode: 0, rd: false, aa: true, tc: false, rcode: 0, questions: [{ name: 'x.example.com', type: TYPE.A!, class: 1 }], answers: [rec('x.example.com', 'A', 60, '10.0.0.1')], authority: [], additional: [] });

  it('decoding random and mutated messages never throws anything but a header error, and never hangs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), (random, flips) => {
        for (const buf of [Buffer.from(random), (() => { const b = Buffer.from(good); for (const [i, v] of flips) b[i] = v; return b; })()]) {
          try {
            decodeMessage(buf);
          } catch (e) {
            assert.ok(buf.length < 12 || /DecodeError|header/i.test(`${(e as Error).name} ${(e as Error).message}`), (e as Error).message);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('random replies from a server never crash a query and never keep it past its budget', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 4 }), fc.boolean(), async (replies, echoId) => {
        const s = createSocket('udp4');
        s.on('message', (q, r) => {
          for (const rep of replies) {
            const b = Buffer.from(rep);
            if (echoId && b.length >= 2) q.copy(b, 0, 0, 2);
            s.send(b, r.port, r.address);
          }
        });
        await new Promise<void>((res) => s.bind(0, '127.0.0.1', res));
        const started = Date.now();
        try {
          await query({ host: '127.0.0.1', port: s.address().port }, 'x.example.com', 'A', { timeoutMs: 60, retries: 1 });
        } catch (e) {
          assert.ok(e instanceof DnsQueryError, `unexpected ${(e as Error).message}`);
        } finally {
          s.close();
        }
        assert.ok(Date.now() - started < 60 * 2 + 400, 'past the timeout budget');
      }),
      { numRuns: 60 },
    );
  });
});

describe('hardening: the embedded server', function () {
  this.timeout(120_000);
  let server: RunningServer;
  before(async () => {
    server = await serveText();
  });
  after(() => server.close());

  it('survives a stream of malformed queries over UDP and TCP and keeps answering good ones', async () => {
    const valid = encodeQuery(7, 'node1.coreos.example.com', TYPE.A!, { rd: false, ednsSize: 1232 });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), async (random, flips) => {
        const mutated = Buffer.from(valid);
        for (const [i, v] of flips) mutated[i] = v;
        const s = createSocket('udp4');
        for (const b of [Buffer.from(random), mutated]) s.send(b, server.port, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 5));
        s.close();
        await new Promise<void>((res) => {
          const c = connect(server.port, '127.0.0.1', () => {
            const frame = Buffer.alloc(2 + random.length);
            frame.writeUInt16BE(random.length);
            Buffer.from(random).copy(frame, 2);
            c.end(frame);
          });
          c.on('error', () => res());
          c.on('close', () => res());
          c.setTimeout(200, () => c.destroy());
        });
      }),
      { numRuns: 150 },
    );
    const r = await dig('127.0.0.1', server.port, 'node1.coreos.example.com', 'A');
    assert.deepEqual(r.answers.map((a) => a.rdata), ['10.0.0.1']);
  });

  it('never answers for names outside its zone, recursion asked or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.domain(), fc.boolean(), async (name, rd) => {
        fc.pre(!name.toLowerCase().endsWith('example.com'));
        const a = await query({ host: '127.0.0.1', port: server.port }, name, 'A', { timeoutMs: 500, retries: 1, rd });
        assert.equal(a.rcode, 'REFUSED');
        assert.equal(a.answers.length, 0);
        assert.equal(a.aa, false);
      }),
      { numRuns: 100 },
    );
  });

  it('sets TC instead of amplifying: a UDP answer never exceeds what the query may receive', async () => {
    for (const size of [0, 512, 1232]) {
      const s = createSocket('udp4');
      const reply = await new Promise<Buffer>((res) => {
        s.on('message', (m) => res(m));
        s.send(encodeQuery(9, 'big.example.com', TYPE.TXT!, { rd: false, ednsSize: size || undefined }), server.port, '127.0.0.1');
      });
      s.close();
      assert.ok(reply.length <= Math.max(512, size), `${reply.length} bytes for a ${size || 'no-EDNS'} query`);
      assert.equal(decodeMessage(reply).tc, true);
    }
  });
});
