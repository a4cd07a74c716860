import assert from 'node:assert/strict';
import { findOverlaps } from '../../src/drift/overlap.js';
import { requireManifest } from '../../src/manifest/load.js';

function manifest(file: string, cluster: string, domain: string, members: string) {
  return requireManifest(file, `version: 1\ncluster: ${cluster}\ndomain: ${domain}\nprovider:\n  zone: example.com\nmembers:\n${members}`).manifest;
}

const a = manifest('a.yaml', 'alpha', 'alpha.example.com', '  - {name: n1, host: n1.example.com}\n  - {name: n2, host: n2.example.com}\n  - {name: n3, host: n3.example.com}\n');

describe('drift: manifests that overlap', () => {
  it('none for clusters on their own domains and hosts', () => {
    const b = manifest('b.yaml', 'beta', 'beta.example.com', '  - {name: n1, host: m1.example.com}\n');
    assert.deepEqual(findOverlaps([a, b]), []);
  });

  it('the same SRV name (same domain) is flagged once per name, with both files', () => {
    const b = manifest('b.yaml', 'beta', 'alpha.example.com', '  - {name: n1, host: m1.example.com}\n');
    const o = findOverlaps([a, b]);
    assert.deepEqual(o.map((x) => [x.kind, x.key]), [
      ['srv-name', '_etcd-client._tcp.alpha.example.com'],
      ['srv-name', '_etcd-server._tcp.alpha.example.com'],
    ]);
    assert.deepEqual(o[1]!.claims.map((c) => [c.file, c.cluster]), [['a.yaml', 'alpha'], ['b.yaml', 'beta']]);
    assert.match(o[1]!.message, /claimed by cluster alpha \(a\.yaml\) and cluster beta \(b\.yaml\)/);
  });

  it('the same host:port, peer on peer or peer on client, is flagged; another port on the same host is not', () => {
    const b = manifest('b.yaml', 'beta', 'beta.example.com', '  - {name: x, host: n1.example.com}\n  - {name: y, host: n2.example.com, peerPort: 2379, clientPort: 2479}\n  - {name: z, host: n3.example.com, peerPort: 2480, clientPort: 2481}\n');
    const o = findOverlaps([a, b]);
    assert.deepEqual(o.map((x) => [x.kind, x.key]), [
      ['host-port', 'n1.example.com:2379'],
      ['host-port', 'n1.example.com:2380'],
      ['host-port', 'n2.example.com:2379'],
    ]);
    assert.match(o[2]!.message, /member n2 client port of cluster alpha \(a\.yaml\) and member y peer port of cluster beta \(b\.yaml\)/);
  });

  it('serviceName separates SRV names on one domain', () => {
    const b = manifest('b.yaml', 'beta', 'alpha.example.com', '  - {name: n1, host: m1.example.com}\n');
    const blue = { ...b, etcd: { ...b.etcd, serviceName: 'blue' } };
    assert.deepEqual(findOverlaps([a, blue]).filter((x) => x.kind === 'srv-name'), []);
  });
});
