import assert from 'node:assert/strict';
import { parseManifest } from '../../src/manifest/load.js';
import { desiredRecords } from '../../src/records/desired.js';

const HEAD = 'version: 1\ncluster: c1\ndomain: coreos.example.com\nprovider:\n  zone: example.com\n';

function parse(defaults: string, members: string) {
  return parseManifest('c.yaml', `${HEAD}${defaults}members:\n${members}`);
}

describe('manifest v1.1 defaults:', () => {
  it('applies priority, weight, peerPort and clientPort to members that do not set them; a member value wins', () => {
    const { manifest, findings } = parse(
      'defaults:\n  priority: 10\n  weight: 100\n  peerPort: 2480\n  clientPort: 2479\n',
      '  - {name: a, host: a.coreos.example.com}\n  - {name: b, host: b.coreos.example.com, priority: 0, peerPort: 2380}\n  - {name: c, host: c.coreos.example.com, weight: 5, clientPort: 3379}\n',
    );
    assert.deepEqual(findings, []);
    const m = Object.fromEntries(manifest!.members.map((x) => [x.name, [x.priority, x.weight, x.peerPort, x.clientPort]]));
    assert.deepEqual(m, { a: [10, 100, 2480, 2479], b: [0, 100, 2380, 2479], c: [10, 5, 2480, 3379] });
    // the advertise URL and the SRV records follow the defaulted port
    assert.equal(manifest!.members[0]!.advertisePeerUrl, 'http://a.coreos.example.com:2480');
    const srv = desiredRecords(manifest!).filter((r) => r.type === 'SRV' && r.name.startsWith('_etcd-server.'));
    assert.deepEqual(srv.map((r) => r.rdata).sort(), ['0 100 2380 b.coreos.example.com.', '10 100 2480 a.coreos.example.com.', '10 5 2480 c.coreos.example.com.']);
  });

  it('leaves the built-in defaults for keys neither sets, and a v1 file without defaults: unchanged', () => {
    const withPart = parse('defaults:\n  weight: 7\n', '  - {name: a, host: a.coreos.example.com}\n').manifest!.members[0]!;
    assert.deepEqual([withPart.priority, withPart.weight, withPart.peerPort, withPart.clientPort], [0, 7, 2380, 2379]);
    const without = parse('', '  - {name: a, host: a.coreos.example.com}\n').manifest!.members[0]!;
    assert.deepEqual([without.priority, without.weight, without.peerPort, without.clientPort], [0, 0, 2380, 2379]);
  });

  it('refuses unknown keys and out-of-range values with their place', () => {
    const bad = parse('defaults:\n  host: x\n  peerPort: 0\n  weight: 70000\n', '  - {name: a, host: a.coreos.example.com}\n');
    const errors = bad.findings.filter((f) => f.severity === 'error').map((f) => `${f.where}: ${f.message}`);
    assert.equal(bad.manifest, undefined);
    assert.ok(errors.some((e) => /^c\.yaml:7:3: .*host/.test(e)), errors.join('\n'));
    assert.ok(errors.some((e) => /^c\.yaml:8:13: .*peerPort/.test(e)), errors.join('\n'));
    assert.ok(errors.some((e) => /^c\.yaml:9:11: .*weight/.test(e)), errors.join('\n'));
  });

  it('semantic checks see the defaulted values: a default clientPort equal to a member peerPort is refused', () => {
    const { manifest, findings } = parse('defaults:\n  clientPort: 2380\n', '  - {name: a, host: a.coreos.example.com}\n');
    assert.equal(manifest, undefined);
    assert.ok(findings.some((f) => f.severity === 'error' && /clientPort equals peerPort \(2380\)/.test(f.message)), JSON.stringify(findings));
  });
});
