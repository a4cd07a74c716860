import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isSrvctlError } from '../../src/errors.js';
import { requireManifest } from '../../src/manifest/load.js';
import type { Manifest } from '../../src/manifest/types.js';
import { FORMATS, type Format } from '../../src/render/formats.js';
import { renderMember } from '../../src/render/render.js';
import { run } from '../support/run.js';
import { cloudinitApply, systemdEnvFile, systemdExecStart } from './consumer-parsers.js';

/**
 * Issue 15: hostile values rendered in every format, then executed (flags), sourced (env,
 * by dash and bash) and parsed (YAML 1.1 and 1.2, systemd's EnvironmentFile reader,
 * ExecStart words, coreos-cloudinit's $-substitution): every value comes back exactly,
 * nothing runs. Where a consumer cannot carry a value, the render refuses it, and only
 * for the characters documented for that consumer.
 */
const PWN = 'PWNED';
const CORPUS = [
  `x';touch ${PWN};'`,
  `$(touch ${PWN})`,
  `\`touch ${PWN}\``,
  `;{touch,${PWN}}`,
  `x";touch ${PWN};"`,
  `a\\b`,
  `trailing\\`,
  `\\"`,
  `$HOME`,
  `\${HOME}x`,
  `$private_ipv4`,
  `\\$private_ipv4`,
  `{PRIVATE_IPV4}`,
  `%m%%`,
  `@foo`,
  `,a`,
  `1e3`,
  `0x1F`,
  `0o17`,
  `yes`,
  `No`,
  `off`,
  `~`,
  `null`,
  `true`,
  `- x`,
  `: x`,
  `# x`,
  `a #b`,
  `'q'`,
  `"dq"`,
  `line1\nline2`,
  `tab\there`,
  ` lead`,
  `trail `,
  `cr\r`,
  `é ünï 😀`,
  `sep\u2028\u0085`,
  `!event`,
  `*alias`,
  `&anchor`,
  `|`,
  `>-`,
  `[a, b]`,
  `{a: 1}`,
  `--name=evil`,
  `-`,
  `=`,
  `2026-12-01`,
  `.inf`,
  `<<`,
];

const BASE = `version: 1
cluster: hostile
domain: example.test
etcd: { version: "3.5", token: placeholder }
members:
  - { name: node1, host: node1.example.test, ipv4: 10.0.0.1 }
`;

function withToken(token: string, file = '/srv/cluster.yaml'): Manifest {
  const m = structuredClone(requireManifest(file, BASE).manifest);
  m.etcd.token = token;
  return m;
}

/** What a consumer refuses, by its documented rule (src/render/formats.ts). */
function refusedBy(format: Format, v: string): boolean {
  // eslint-disable-next-line no-control-regex
  if (format === 'cloud-config' || format === 'static') return /["\\%\u0000-\u001f\u007f]/.test(v);
  if (format === 'clc') return /[{}$%]/.test(v);
  return false;
}

function tryRender(m: Manifest, format: Format): string | { refused: string } {
  try {
    return renderMember(m, m.members[0]!, format).text;
  } catch (e) {
    if (isSrvctlError(e) && e.code === 'usage') return { refused: e.message };
    throw e;
  }
}

describe('renders of hostile values: executed, sourced and parsed, nothing injected (issue 15)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'srvctl-hostile-'));
    // a stub etcd that records its argv, NUL-separated, one record per run
    writeFileSync(join(dir, 'etcd'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\000' "$a"; done >> "$ARGV_OUT"\nprintf '\\001\\000' >> "$ARGV_OUT"\n`);
    chmodSync(join(dir, 'etcd'), 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every format either carries each value or refuses it by its rule', () => {
    for (const format of FORMATS) {
      for (const v of CORPUS) {
        const r = tryRender(withToken(v), format);
        assert.equal(typeof r !== 'string', refusedBy(format, v), `${format} ${JSON.stringify(v)}: ${typeof r === 'string' ? 'rendered' : r.refused}`);
        if (typeof r !== 'string') assert.match(r.refused, /initial-cluster-token/);
      }
    }
  });

  it('flags: bash runs each render as one etcd command whose argv holds the value exactly', async () => {
    const script = CORPUS.map((v) => tryRender(withToken(v), 'flags') as string).join('\n');
    const file = join(dir, 'all.flags.sh');
    writeFileSync(file, script);
    const out = join(dir, 'argv.bin');
    rmSync(out, { force: true });
    for (const shell of ['bash', 'sh']) {
      rmSync(out, { force: true });
      const r = await run(shell, [file], { cwd: dir, env: { PATH: `${dir}:/usr/bin:/bin`, ARGV_OUT: out } });
      assert.equal(r.code, 0, r.stderr);
      const records = readFileSync(out, 'utf8').split('\u0001\u0000').slice(0, -1);
      assert.equal(records.length, CORPUS.length, `${shell}: one etcd run per render`);
      records.forEach((rec, i) => {
        const argv = rec.split('\u0000').slice(0, -1);
        assert.equal(argv.length, 8, `${shell} ${JSON.stringify(CORPUS[i])}: ${JSON.stringify(argv)}`);
        assert.equal(argv.find((a) => a.startsWith('--initial-cluster-token=')), `--initial-cluster-token=${CORPUS[i]}`);
      });
      assert.equal(existsSync(join(dir, PWN)), false, `${shell} ran an injected command`);
    }
  });

  it('env: dash and bash (set -a; . FILE) and systemd\'s EnvironmentFile reader all read the value exactly', async () => {
    const files = CORPUS.map((v, i) => {
      const f = join(dir, `m${i}.env`);
      writeFileSync(f, tryRender(withToken(v), 'env') as string);
      return f;
    });
    for (const [i, f] of files.entries()) {
      const parsed = systemdEnvFile(readFileSync(f, 'utf8'));
      assert.equal(parsed.get('ETCD_INITIAL_CLUSTER_TOKEN'), CORPUS[i], `systemd reads ${JSON.stringify(CORPUS[i])}`);
      assert.equal(parsed.size, 8);
    }
    const script = files.map((f) => `( set -a; . '${f}'; printf '%s\\000' "$ETCD_INITIAL_CLUSTER_TOKEN" )`).join('\n');
    for (const shell of ['sh', 'bash']) {
      const r = await run(shell, ['-c', script], { cwd: dir, env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' } });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.split('\u0000').slice(0, -1), CORPUS, shell);
      assert.equal(existsSync(join(dir, PWN)), false, `${shell} ran an injected command`);
    }
  });

  it('etcd-yaml, cloud-config and clc: the YAML holds the value as a string, in YAML 1.1 and 1.2', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const read: Record<string, (doc: any) => unknown> = {
      'etcd-yaml': (d) => d['initial-cluster-token'],
      'cloud-config': (d) => d.coreos.etcd2['initial-cluster-token'],
      static: (d) => d.coreos.etcd2['initial-cluster-token'],
      clc: (d) => d.etcd.initial_cluster_token,
    };
    for (const [format, get] of Object.entries(read)) {
      for (const v of CORPUS) {
        const rendered = tryRender(withToken(v), format as Format);
        if (typeof rendered !== 'string') continue;
        let text: string = rendered;
        // coreos-cloudinit substitutes $private_ipv4 & co. in the raw text first
        if (format === 'cloud-config' || format === 'static') text = cloudinitApply(text, { $private_ipv4: '10.9.9.9', $public_ipv4: '10.8.8.8', $private_ipv6: 'fd00::9', $public_ipv6: 'fd00::8' });
        for (const version of ['1.1', '1.2'] as const) {
          const doc: unknown = parseYaml(text, { version, uniqueKeys: true });
          assert.equal(get(doc), v, `${format} YAML ${version}: ${JSON.stringify(v)}`);
        }
      }
    }
  });

  it('ignition: JSON, and the ExecStart= words systemd splits hold the value exactly; ignition-validate accepts it', async () => {
    for (const [i, v] of CORPUS.entries()) {
      const text = tryRender(withToken(v), 'ignition') as string;
      const doc = JSON.parse(text);
      const contents: string = doc.systemd.units[0].dropins[0].contents;
      const exec = contents.split('\nExecStart=').pop()!;
      const words = systemdExecStart(exec);
      assert.equal(words[0], '/usr/lib/coreos/etcd-wrapper');
      assert.ok(words.includes(`--initial-cluster-token=${v}`), `${JSON.stringify(v)}: ${JSON.stringify(words)}`);
      if (i % 5 === 0 || /[\n\r"\\$%]/.test(v)) {
        const f = join(dir, `m${i}.ign`);
        writeFileSync(f, text);
        const r = await run('ignition-validate', [f]);
        assert.equal(r.code, 0, `${JSON.stringify(v)}: ${r.stdout}${r.stderr}`);
      }
    }
  });

  it('hostile data-dir and discovery URL (render: and discoveryUrl) reach etcd exactly through flags and env', async () => {
    // placeholders such as {PRIVATE_IPV4} are validate's business (unknown placeholder)
    const values = CORPUS.filter((v) => !/\{[A-Za-z0-9]*\}/.test(v));
    const manifests = values.map((v) => {
      const m = withToken('t');
      m.bootstrap = 'discovery';
      m.discoveryUrl = `http://127.0.0.1:4001/v2/keys/d/${v}`;
      m.render = { certDir: '/etc/ssl/etcd', dataDir: `/var/lib/${v}` };
      return m;
    });
    const flagsFile = join(dir, 'paths.flags.sh');
    writeFileSync(flagsFile, manifests.map((m) => renderMember(m, m.members[0]!, 'flags').text).join('\n'));
    const out = join(dir, 'paths.argv');
    rmSync(out, { force: true });
    const r = await run('bash', [flagsFile], { cwd: dir, env: { PATH: `${dir}:/usr/bin:/bin`, ARGV_OUT: out } });
    assert.equal(r.code, 0, r.stderr);
    const records = readFileSync(out, 'utf8').split('\u0001\u0000').slice(0, -1).map((rec) => rec.split('\u0000').slice(0, -1));
    assert.equal(records.length, values.length);
    records.forEach((argv, i) => {
      assert.ok(argv.includes(`--data-dir=/var/lib/${values[i]}`), JSON.stringify(argv));
      assert.ok(argv.includes(`--discovery=http://127.0.0.1:4001/v2/keys/d/${values[i]}`), JSON.stringify(argv));
    });
    const files = manifests.map((m, i) => {
      const f = join(dir, `paths${i}.env`);
      writeFileSync(f, renderMember(m, m.members[0]!, 'env').text);
      return f;
    });
    const script = files.map((f) => `( set -a; . '${f}'; printf '%s\\000%s\\000' "$ETCD_DATA_DIR" "$ETCD_DISCOVERY" )`).join('\n');
    const sourced = await run('sh', ['-c', script], { cwd: dir, env: { PATH: '/usr/bin:/bin' } });
    assert.equal(sourced.code, 0, sourced.stderr);
    assert.deepEqual(sourced.stdout.split('\u0000').slice(0, -1), values.flatMap((v) => [`/var/lib/${v}`, `http://127.0.0.1:4001/v2/keys/d/${v}`]));
    assert.equal(existsSync(join(dir, PWN)), false);
  });

  it('a manifest file name with newlines and shell syntax reaches no output raw', async () => {
    const evil = `/srv/x\nETCD_NAME=evil\n$(touch ${PWN});'\n.yaml`;
    for (const format of FORMATS) {
      const text = renderMember(withToken('t', evil), withToken('t', evil).members[0]!, format).text;
      assert.ok(!text.includes('ETCD_NAME=evil') && !text.includes('$(touch'), `${format}: ${text}`);
    }
    const env = renderMember(withToken('t', evil), withToken('t', evil).members[0]!, 'env').text;
    assert.equal(systemdEnvFile(env).get('ETCD_NAME'), 'node1');
    writeFileSync(join(dir, 'evil.flags'), renderMember(withToken('t', evil), withToken('t', evil).members[0]!, 'flags').text);
    const r = await run('bash', [join(dir, 'evil.flags')], { cwd: dir, env: { PATH: `${dir}:/usr/bin:/bin`, ARGV_OUT: join(dir, 'evil.argv') } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(dir, PWN)), false);
  });

  it('static initial-cluster: a "," or "=" smuggled into a peer URL or name is refused, not rendered (exit 65)', () => {
    const m = structuredClone(requireManifest('/srv/c.yaml', BASE).manifest);
    m.members[0]!.advertisePeerUrl = 'http://node1.example.test:2380?,evil=http://10.6.6.6:2380';
    assert.throws(() => renderMember(m, m.members[0]!, 'static'), (e: unknown) => isSrvctlError(e) && e.code === 'manifest' && /initial-cluster/.test(e.message));
    const n = structuredClone(requireManifest('/srv/c.yaml', BASE).manifest);
    n.members[0]!.name = 'node1=http://10.6.6.6:2380,x';
    assert.throws(() => renderMember(n, n.members[0]!, 'static'), (e: unknown) => isSrvctlError(e) && e.code === 'manifest');
  });

  it('NUL cannot reach etcd: refused as a manifest error in every format', () => {
    for (const format of FORMATS) {
      assert.throws(() => renderMember(withToken('a\u0000b'), withToken('a\u0000b').members[0]!, format), (e: unknown) => isSrvctlError(e) && e.code === 'manifest' && /NUL/.test(e.message));
    }
  });
});
