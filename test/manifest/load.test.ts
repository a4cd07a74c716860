import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from '../../src/manifest/load.js';
import { FIXTURES } from '../support/run.js';

const base = readFileSync(join(FIXTURES, 'cluster.yaml'), 'utf8');

function errors(text: string): string[] {
  return parseManifest('c.yaml', text)
    .findings.filter((f) => f.severity === 'error')
    .map((f) => `${f.where}: ${f.message}`);
}

function withMembers(members: string, header = 'version: 1\ncluster: c1\ndomain: coreos.example.com\nprovider:\n  zone: example.com\n'): string {
  return `${header}members:\n${members}`;
}

describe('manifest', () => {
  it('reads the fixture with defaults applied', () => {
    const { manifest, findings } = parseManifest('fixtures/cluster.yaml', base);
    assert.deepEqual(findings, []);
    assert.ok(manifest);
    assert.equal(manifest.cluster, 'prod-etcd');
    assert.equal(manifest.etcd.version, '3.5');
    assert.equal(manifest.etcd.token, 'prod-etcd');
    assert.equal(manifest.etcd.clientSrv, true);
    assert.equal(manifest.ttl, 300);
    assert.equal(manifest.members.length, 3);
    assert.equal(manifest.members[0]!.advertisePeerUrl, 'http://node1.coreos.example.com:2380');
    assert.equal(manifest.members[0]!.peerPort, 2380);
    assert.equal(manifest.verify.timeoutMs, 2000);
    assert.equal(manifest.verify.waitMs, 120000);
    assert.ok(String(manifest.provider.options.path).endsWith('fixtures/example.com.zone'));
  });

  it('accepts an unquoted etcd version number', () => {
    const { manifest } = parseManifest('c.yaml', base.replace('version: "3.5"', 'version: 3.6'));
    assert.equal(manifest?.etcd.version, '3.6');
  });

  it('reports malformed YAML with its line and column', () => {
    const errs = errors('version: 1\ncluster: [unclosed\ndomain: x\n');
    assert.equal(errs.length >= 1, true);
    assert.match(errs[0]!, /^c\.yaml:\d+:\d+: /);
  });

  it('reports a duplicate key at its place', () => {
    const errs = errors(`${base}cluster: again\n`);
    assert.match(errs.join('\n'), /^c\.yaml:\d+:1: .*[Mm]ap keys must be unique/m);
  });

  it('reports every schema error at once, each at its place', () => {
    const text = [
      'version: 1',
      'cluster: Prod_etcd',
      'domain: coreos.example.com',
      'etcd:',
      '  tsl: true',
      'provider:',
      '  type: rfc2136',
      'members:',
      '  - name: node1',
      '    host: node1.coreos.example.com',
      '    peerPort: 70000',
      '    clientPort: "2379"',
      'verify:',
      '  timeout: soon',
      '',
    ].join('\n');
    const errs = errors(text);
    assert.deepEqual(errs, [
      'c.yaml:2:10: cluster: must be 1..63 lower-case letters, digits or hyphens, starting and ending with a letter or digit',
      'c.yaml:5:3: etcd: unknown key "tsl" (did you mean "tls"?)',
      'c.yaml:7:3: provider: missing required key "server"',
      'c.yaml:7:3: provider: missing required key "tsig"',
      'c.yaml:11:15: members[0].peerPort: must be at most 65535',
      'c.yaml:12:17: members[0].clientPort: must be a whole number',
      'c.yaml:14:12: verify.timeout: must be a duration such as "500ms", "2s" or "2m"',
    ]);
  });

  it('requires the top-level keys', () => {
    const errs = errors('version: 1\n');
    assert.deepEqual(
      errs.map((e) => e.replace(/^c\.yaml:1:1: /, '')),
      ['missing required key "cluster"', 'missing required key "domain"', 'missing required key "members"'],
    );
  });

  it('rejects a document that is not a mapping', () => {
    assert.match(errors('- a\n- b\n')[0]!, /must be a YAML mapping/);
  });

  it('refuses a secret written into the manifest', () => {
    const text = base.replace('  type: zonefile\n', '  type: rfc2136\n  server: 127.0.0.1\n  tsig:\n    name: k\n    secret: c2VjcmV0\n');
    const errs = errors(text);
    assert.ok(errs.some((e) => /unknown key "secret"/.test(e)), errs.join('\n'));
    assert.ok(errs.some((e) => /exactly one of secretEnv or secretFile/.test(e)), errs.join('\n'));
  });

  describe('semantic checks', () => {
    it('duplicate member names and hosts', () => {
      const errs = errors(withMembers('  - {name: a, host: a.coreos.example.com}\n  - {name: a, host: a.coreos.example.com}\n  - {name: c, host: c.coreos.example.com}\n'));
      assert.ok(errs.some((e) => /^c\.yaml:8:12: duplicate member name "a"/.test(e)), errs.join('\n'));
      assert.ok(errs.some((e) => /^c\.yaml:8:21: duplicate host a\.coreos\.example\.com/.test(e)), errs.join('\n'));
      assert.equal(errs.length, 2, errs.join('\n'));
    });

    it('two members on the same peer address (the article lists 10.0.0.3 twice)', () => {
      const errs = errors(
        withMembers(
          '  - {name: srv1, host: srv1.coreos.example.com, ipv4: 10.0.0.1}\n  - {name: srv2, host: srv2.coreos.example.com, ipv4: 10.0.0.3}\n  - {name: srv3, host: srv3.coreos.example.com, ipv4: 10.0.0.3}\n',
        ),
      );
      assert.deepEqual(errs, ['c.yaml:9:55: member "srv3" has the same address 10.0.0.3 and peer port as member "srv2"']);
    });

    it('the same advertise peer URL twice', () => {
      const errs = errors(
        withMembers(
          '  - {name: a, host: a.coreos.example.com, advertisePeerUrl: "http://a.coreos.example.com:2380"}\n  - {name: b, host: b.coreos.example.com, advertisePeerUrl: "http://a.coreos.example.com:2380"}\n  - {name: c, host: c.coreos.example.com}\n',
        ),
      );
      assert.ok(errs.some((e) => /member "b" has the same peer address a\.coreos\.example\.com:2380 as member "a"/.test(e)), errs.join('\n'));
    });

    it('an IP address where a hostname belongs', () => {
      const errs = errors(withMembers('  - {name: a, host: 10.0.0.1}\n'));
      assert.deepEqual(errs, ['c.yaml:7:21: host: "10.0.0.1" is an IP address; a hostname belongs here (an SRV target must be a hostname with an A/AAAA record)']);
    });

    it('labels over 63 octets and names over 253', () => {
      const long = `${'a'.repeat(64)}.coreos.example.com`;
      const huge = `${Array.from({ length: 5 }, () => 'b'.repeat(60)).join('.')}.example.com`;
      const errs = errors(withMembers(`  - {name: a, host: ${long}}\n  - {name: b, host: ${huge}}\n  - {name: c, host: c.coreos.example.com}\n`));
      assert.ok(errs.some((e) => /label "a{20}…" is 64 octets long \(at most 63\)/.test(e)), errs.join('\n'));
      assert.ok(errs.some((e) => /name is 316 characters long \(at most 253\)/.test(e)), errs.join('\n'));
    });

    it('a host outside the zone when srvctl is to manage its address', () => {
      const errs = errors(withMembers('  - {name: a, host: a.other.org, ipv4: 10.0.0.1}\n'));
      assert.deepEqual(errs, ['c.yaml:7:40: host a.other.org is outside zone example.com: srvctl cannot manage its address record there']);
    });

    it('allows a host outside the zone when it only appears as SRV target', () => {
      assert.deepEqual(errors(withMembers('  - {name: a, host: a.other.org}\n')), []);
    });

    it('a domain outside the zone', () => {
      const errs = errors(withMembers('  - {name: a, host: a.coreos.example.com}\n', 'version: 1\ncluster: c1\ndomain: coreos.example.org\nprovider:\n  zone: example.com\n'));
      assert.deepEqual(errs, ['c.yaml:5:9: domain coreos.example.org is not inside zone example.com: the SRV records could not live there']);
    });

    it('a plain-http cluster on etcd 3.4', () => {
      const errs = errors(base.replace('version: "3.5"', 'version: "3.4"'));
      assert.equal(errs.length, 1);
      assert.match(errs[0]!, /^c\.yaml:9:12: etcd 3\.4 reads only _etcd-server-ssl SRV records/);
    });

    it('serviceName on etcd 2.3', () => {
      const errs = errors(base.replace('version: "3.5"', 'version: "2.3"\n  serviceName: blue'));
      assert.match(errs.join('\n'), /etcd 2\.3 has no --discovery-srv-name/);
    });

    it('an advertise URL whose scheme, port or address etcd would not match', () => {
      const errs = errors(
        withMembers('  - {name: a, host: a.coreos.example.com, ipv4: 10.0.0.1, advertisePeerUrl: "https://10.0.0.9:2390"}\n', 'version: 1\ncluster: c1\ndomain: coreos.example.com\nprovider:\n  zone: example.com\n'),
      );
      assert.equal(errs.length, 3, errs.join('\n'));
      assert.match(errs[0]!, /scheme https does not match etcd\.tls \(http\)/);
      assert.match(errs[1]!, /port 2390 differs from peerPort 2380/);
      assert.match(errs[2]!, /address 10\.0\.0\.9 is not the member's ipv4 \(10\.0\.0\.1\)/);
    });

    it('ports 0 or over 65535', () => {
      const errs = errors(withMembers('  - {name: a, host: a.coreos.example.com, peerPort: 0, clientPort: 65536}\n'));
      assert.equal(errs.length, 2, errs.join('\n'));
      assert.match(errs[0]!, /peerPort: must be at least 1/);
      assert.match(errs[1]!, /clientPort: must be at most 65535/);
    });

    it('warns about an even member count but accepts it', () => {
      const r = parseManifest('c.yaml', withMembers('  - {name: a, host: a.coreos.example.com}\n  - {name: b, host: b.coreos.example.com}\n'));
      assert.ok(r.manifest);
      assert.deepEqual(
        r.findings.map((f) => [f.severity, f.where, f.message]),
        [['warning', 'c.yaml:7:3', '2 members: an even count tolerates no more failures than 1 (quorum 2)']],
      );
    });
  });
});

describe('the build-time manifest validator', () => {
  it('is the one in use, and agrees with the schema compiled at run time', async () => {
    const { compileAtRuntime, schemaIssues, usingGeneratedValidator } = await import('../../src/manifest/schema.js');
    const { parse } = await import('yaml');
    assert.ok(usingGeneratedValidator(), 'dist/src/manifest/validate-manifest.cjs was not built (scripts/build-validator.mjs)');
    const runtime = compileAtRuntime();
    const samples = [
      base,
      base.replace('ttl: 300', 'ttl: -1'),
      base.replace('tls: false', 'tls: "no"\n  extra: 1'),
      base.replace('ipv4: 10.0.0.1', 'ipv4: 10.0.0.300'),
      'version: 2\ncluster: X\n',
      base.replace('  type: zonefile', '  type: rfc2136\n  tsig: { name: k, secretEnv: A, secretFile: b }'),
      base.replace('members:', 'verify: { timeout: 2x, wait: 3 }\nmembers:'),
    ];
    for (const text of samples) {
      const data = parse(text);
      assert.deepEqual(schemaIssues(data), schemaIssues(data, runtime), text.slice(0, 60));
    }
  });
});
