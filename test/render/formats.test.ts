import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isSrvctlError } from '../../src/errors.js';
import { parseManifest, requireManifest } from '../../src/manifest/load.js';
import type { Manifest } from '../../src/manifest/types.js';
import { FORMATS, type Format } from '../../src/render/formats.js';
import { renderMember, renderMembers, renderShared } from '../../src/render/render.js';
import { run, ROOT } from '../support/run.js';
import { CLC_ETCD3_3, CLOUDINIT_ETCD2, typeProblems } from './consumer-schemas.js';

/**
 * Issue 17: each format as its consumer reads it. The clc and cloud-config renders are
 * checked against typed schemas written from the consumers' source (consumer-schemas.ts
 * cites the files); every Ignition render goes through ignition-validate.
 */
const members = (extra = '') => `members:
  - { name: node1, host: node1.example.test, ipv4: 10.0.0.1${extra} }
  - { name: node2, host: node2.example.test, ipv4: 10.0.0.2${extra} }
  - { name: node3, host: node3.example.test, ipv4: 10.0.0.3${extra} }
`;
const head = (etcd: string, more = '') => `version: 1\ncluster: c1\ndomain: example.test\netcd: ${etcd}\n${more}`;

const MANIFESTS: Record<string, string> = {
  plain: head('{ version: "3.5" }') + members(),
  tlsFiles: head('{ version: "3.4", tls: true }', 'render:\n  listenClientUrls: ["https://{ipv4}:{clientPort}", "https://127.0.0.1:{clientPort}"]\n  listenPeerUrls: "https://{ipv4}:{peerPort}"\n  dataDir: /var/lib/etcd/{name}\n  certDir: /etc/pki/etcd\n  trustedCaFile: /etc/pki/ca/root.pem\n  peerTrustedCaFile: /etc/pki/ca/peer.pem\n') + members(),
  autoTlsStatic: head('{ version: "3.5", tls: true, autoTls: true }', 'bootstrap: static\n') + members(),
  discovery: head('{ version: "3.4" }', 'bootstrap: discovery\ndiscoveryUrl: https://discovery.etcd.io/3e86b59982e49066c5d813af1c2e2579cbf573de\n') + members(),
  serviceName: head('{ version: "3.5", serviceName: blue }') + members(),
};
const load = (name: string): Manifest => requireManifest(`/srv/${name}.yaml`, MANIFESTS[name]!).manifest;

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isSrvctlError(e) && e.code === 'usage') return e.message;
    throw e;
  }
  assert.fail('expected a usage error');
}

describe('renders as their consumers read them (issue 17)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'srvctl-formats-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('cloud-config: "#cloud-config" first, only keys coreos-cloudinit\'s Etcd2 has, each of its Go type', () => {
    for (const name of ['plain', 'tlsFiles', 'discovery']) {
      for (const r of renderMembers(load(name), 'cloud-config')) {
        assert.equal(r.text.split('\n')[0], '#cloud-config');
        const doc = parseYaml(r.text, { version: '1.1' });
        assert.deepEqual(Object.keys(doc), ['coreos']);
        assert.deepEqual(typeProblems(doc.coreos.etcd2, CLOUDINIT_ETCD2, (k) => k.replace(/-/g, '_')), [], `${name}/${r.member}`);
      }
    }
    const tls = parseYaml(renderMember(load('tlsFiles'), load('tlsFiles').members[0]!, 'cloud-config').text);
    assert.equal(tls.coreos.etcd2['client-cert-auth'], true);
    assert.match(refusal(() => renderMembers(load('autoTlsStatic'), 'cloud-config')), /no auto-tls key/);
    assert.match(refusal(() => renderMembers(load('serviceName'), 'cloud-config')), /no discovery-srv-name key/);
  });

  it('clc: etcd.version a semver, only the transpiler\'s Etcd3_3 options, booleans typed; serviceName refused with the reason', () => {
    for (const name of ['plain', 'tlsFiles', 'autoTlsStatic', 'discovery']) {
      for (const r of renderMembers(load(name), 'clc')) {
        const doc = parseYaml(r.text, { version: '1.1' });
        assert.deepEqual(Object.keys(doc), ['etcd']);
        const { version, ...options } = doc.etcd;
        assert.match(version, /^\d+\.\d+\.\d+$/);
        assert.equal(version.split('.').slice(0, 2).join('.'), load(name).etcd.version);
        assert.deepEqual(typeProblems(options, CLC_ETCD3_3), [], `${name}/${r.member}`);
      }
    }
    const auto = parseYaml(renderMember(load('autoTlsStatic'), load('autoTlsStatic').members[0]!, 'clc').text);
    assert.equal(auto.etcd.peer_auto_tls, true);
    assert.match(refusal(() => renderMembers(load('serviceName'), 'clc')), /no discovery_srv_name \(config\/types\/etcd\.go\)/);
  });

  it('etcd-yaml: the gRPC gateway on (its config-file default is off), TLS nested with typed booleans', () => {
    const doc = parseYaml(renderMember(load('tlsFiles'), load('tlsFiles').members[1]!, 'etcd-yaml').text);
    assert.equal(doc['enable-grpc-gateway'], true);
    assert.equal(doc['client-transport-security']['client-cert-auth'], true);
    assert.equal(doc['client-transport-security']['trusted-ca-file'], '/etc/pki/ca/root.pem');
    assert.equal(doc['peer-transport-security']['trusted-ca-file'], '/etc/pki/ca/peer.pem');
    assert.equal(doc['peer-transport-security']['cert-file'], '/etc/pki/etcd/node2-peer.crt');
  });

  it('ignition: ignition-validate accepts every render; the drop-in is the one ct writes for etcd-member.service', async () => {
    let n = 0;
    for (const name of Object.keys(MANIFESTS)) {
      for (const r of renderMembers(load(name), 'ignition')) {
        const f = join(dir, `${name}-${r.member}.ign`);
        writeFileSync(f, r.text);
        const v = await run('ignition-validate', [f]);
        assert.equal(v.code, 0, `${name}/${r.member}: ${v.stdout}${v.stderr}`);
        const unit = JSON.parse(r.text).systemd.units[0];
        assert.equal(unit.name, 'etcd-member.service');
        assert.match(unit.dropins[0].contents, /^ExecStart=$/m);
        n++;
      }
    }
    assert.equal(n, 15);
  });

  it('render: keys (listen URLs, data dir, certificate paths) reach every format', () => {
    const m = load('tlsFiles');
    for (const format of FORMATS.filter((f) => f !== 'static')) {
      const text = renderMember(m, m.members[2]!, format).text;
      assert.ok(text.includes('https://10.0.0.3:2379,https://127.0.0.1:2379'), format);
      assert.ok(text.includes('https://10.0.0.3:2380'), format);
      assert.ok(text.includes('/var/lib/etcd/node3'), format);
      assert.ok(text.includes('/etc/pki/etcd/node3.crt'), format);
      assert.ok(text.includes('/etc/pki/ca/root.pem'), format);
      // the TLS note says what this config does: it sets peer-trusted-ca-file
      assert.doesNotMatch(text, /without[\s#]*peer-trusted-ca-file/, format);
      assert.ok(text.includes('/etc/pki/ca/peer.pem'), format);
      assert.match(text, /signed by \/etc\/pki\/ca\/peer\.pem/, format);
    }
  });

  it('bootstrap modes: srv, static and discovery each spelled in every format', () => {
    const key: Record<string, RegExp> = { srv: /discovery[-_]srv/i, static: /initial[-_]cluster[=:"' ]/i, discovery: /(^|[\s_-])discovery[=:"' ]/im };
    const byMode: Record<string, Manifest> = { srv: load('plain'), static: load('autoTlsStatic'), discovery: load('discovery') };
    for (const [mode, m] of Object.entries(byMode)) {
      for (const format of FORMATS.filter((f) => f !== 'static')) {
        if (format === 'cloud-config' && mode === 'static') continue; // auto-tls: refused above
        const text = renderMember(m, m.members[0]!, format).text;
        for (const [other, re] of Object.entries(key)) assert.equal(re.test(text), other === mode, `${format} in ${mode} mode: ${other}`);
      }
    }
    const discovery = renderMember(load('discovery'), load('discovery').members[0]!, 'env').text;
    assert.match(discovery, /^ETCD_DISCOVERY=https:\/\/discovery\.etcd\.io\/3e86b59982e49066c5d813af1c2e2579cbf573de$/m);
  });

  it('discovery mode: a member marked existing joins by initial-cluster, as `member add` says', () => {
    const m = requireManifest('/srv/d.yaml', MANIFESTS.discovery!.replace('ipv4: 10.0.0.3 }', 'ipv4: 10.0.0.3, state: existing }')).manifest;
    const text = renderMember(m, m.members[2]!, 'env').text;
    assert.match(text, /^ETCD_INITIAL_CLUSTER=node1=http:\/\/node1\.example\.test:2380,node2=.*,node3=http:\/\/node3\.example\.test:2380$/m);
    assert.doesNotMatch(text, /ETCD_DISCOVERY=/);
    assert.match(text, /^ETCD_INITIAL_CLUSTER_STATE=existing$/m);
  });

  it('--shared only where the consumer fills in the address: cloud-config and clc; refused elsewhere naming why', () => {
    const m = load('plain');
    const cc = renderShared(m, 'cloud-config').text;
    assert.match(cc, /initial-advertise-peer-urls: "http:\/\/\$private_ipv4:2380"/);
    // etcd2.service names the member after the machine ID when name is absent
    assert.doesNotMatch(cc, /^\s+name:/m);
    const clc = parseYaml(renderShared(m, 'clc').text);
    assert.equal(clc.etcd.name, '{HOSTNAME}');
    assert.equal(clc.etcd.advertise_client_urls, 'http://{PRIVATE_IPV4}:2379');
    for (const format of ['env', 'etcd-yaml', 'flags', 'ignition'] as Format[]) {
      assert.match(refusal(() => renderShared(m, format)), /fills in no per-machine address|substitutes nothing/, format);
    }
    assert.match(refusal(() => renderShared(m, 'static')), /--name to equal its own entry/);
    assert.match(refusal(() => renderShared(load('tlsFiles'), 'clc')), /certificate paths/);
  });

  it('`render --shared --format env` exits 64 with the reason', async () => {
    const f = join(dir, 'plain.yaml');
    writeFileSync(f, MANIFESTS.plain!);
    const r = await run(process.execPath, [join(ROOT, 'dist/src/cli.js'), 'render', f, '--shared', '--format', 'env']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /--shared: .*EnvironmentFile.* fills in no per-machine address/);
  });

  it('validate: dual-stack advice, render: templates and discovery checked, 3.4 plain http allowed outside srv', () => {
    const dual = parseManifest('/srv/d.yaml', head('{ version: "3.5" }') + members().replace('ipv4: 10.0.0.1 }', 'ipv4: 10.0.0.1, ipv6: "2001:db8::1" }'));
    const w = dual.findings.filter((f) => f.severity === 'warning' && /ipv4 and ipv6/.test(f.message));
    assert.equal(w.length, 1);
    assert.match(w[0]!.message, /first address/i);
    assert.match(w[0]!.where, /d\.yaml:6:\d+$/);
    const bad = (more: string) => parseManifest('/srv/b.yaml', head('{ version: "3.5" }', more) + members()).findings.filter((f) => f.severity === 'error').map((f) => f.message);
    assert.match(bad('render: { listenClientUrls: "http://{addr}:2379" }\n').join(), /unknown placeholder \{addr\}/);
    assert.match(bad('render: { listenClientUrls: "http://node1.example.test:2379" }\n').join(), /binds only to an IP address/);
    assert.match(bad('render: { listenPeerUrls: "http://{ipv6}:2380" }\n').join(), /member "node1" has no ipv6/);
    assert.match(bad('render: { dataDir: "var/lib/etcd" }\n').join(), /absolute path/);
    assert.match(bad('bootstrap: discovery\n').join(), /needs discoveryUrl/);
    assert.match(bad('bootstrap: discovery\ndiscoveryUrl: "https://discovery.etcd.io/x?a=1"\n').join(), /query or fragment/);
    const http34 = (mode: string) => parseManifest('/srv/h.yaml', head('{ version: "3.4" }', `bootstrap: ${mode}\n${mode === 'discovery' ? 'discoveryUrl: http://127.0.0.1:4001/v2/keys/d/t\n' : ''}`) + members()).findings.filter((f) => f.severity === 'error');
    assert.equal(http34('srv').length, 1);
    assert.deepEqual(http34('static'), []);
    assert.deepEqual(http34('discovery'), []);
  });
});
