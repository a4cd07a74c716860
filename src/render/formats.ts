import type { Manifest } from '../manifest/types.js';
import { CLC_ETCD2, CLC_ETCD3_3, CLOUDINIT_ETCD2 } from './consumers.js';
import { envValue, shellWord, systemdArg, yamlString } from './quote.js';
import { hasSlot, isText, plain, type Setting, type Settings, type Text, type Value } from './text.js';

export const FORMATS = ['cloud-config', 'env', 'etcd-yaml', 'flags', 'clc', 'ignition', 'static'] as const;
export type Format = (typeof FORMATS)[number];

/** File extension for `--out DIR`. */
export const EXTENSION: Record<Format, string> = {
  'cloud-config': 'yaml',
  env: 'env',
  'etcd-yaml': 'conf.yaml',
  flags: 'flags',
  clc: 'clc.yaml',
  ignition: 'ign',
  static: 'yaml',
};

/**
 * One output format: who reads it, what it cannot say (checked before anything is
 * written), and how it spells settings. `comment` is header text already made safe.
 */
export interface FormatSpec {
  consumer: string;
  /** why this consumer cannot carry one setting, or null */
  refuse(s: Setting, m: Manifest): string | null;
  /** how the consumer fills a shared document's slots; null: it fills none */
  slots: null | { privateIpv4: string; name: string | null };
  spell(settings: Settings, comment: string[], m: Manifest): string;
}

const comments = (lines: string[]) => lines.map((l) => `# ${l}\n`).join('');

/** Writes text with its slots spelled by the consumer's mechanism. */
function withSlots(t: Text, quoteLiteral: (s: string) => string, slots: FormatSpec['slots']): string {
  return t.map((p) => (typeof p === 'string' ? quoteLiteral(p) : slots![p.slot]!)).join('');
}

function noSlots(s: Setting, consumer: string): string | null {
  return hasSlot(s.value) ? `${consumer} fills in no per-machine values, so a shared document cannot be written for it` : null;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The etcd 2.3 cases every etcd-reading format shares. */
function etcdRefuses(s: Setting, m: Manifest): string | null {
  if (m.etcd.version === '2.3' && (s.key === 'auto-tls' || s.key === 'peer-auto-tls')) return 'etcd 2.3 has no --auto-tls';
  return null;
}

const cloudConfig: FormatSpec = {
  consumer: 'coreos-cloudinit (coreos.etcd2, etcd2.service)',
  refuse(s) {
    const type = CLOUDINIT_ETCD2[s.key];
    if (!type) return `coreos-cloudinit's etcd2 section has no ${s.key} key (config/etcd2.go): it would be dropped without a word`;
    if (isText(s.value)) {
      const v = plain(s.value);
      // cloudinit writes Environment="KEY=VALUE" into etcd2.service's drop-in with no
      // escaping (system/env.go serviceContents): these would break out of it.
      if (CONTROL.test(v) || /["\\%]/.test(v)) return `the value of ${s.key} holds ", \\, % or a control character, which coreos-cloudinit copies unescaped into Environment="..." of etcd2.service`;
    }
    return null;
  },
  // etcd2.service names the member after the machine ID (%m) when name is absent
  slots: { privateIpv4: '$private_ipv4', name: null },
  spell(settings, comment) {
    const lines = settings
      .filter((s) => !(isText(s.value) && s.value.some((p) => typeof p !== 'string' && p.slot === 'name')))
      .map((s) => `    ${s.key}: ${yamlValue(s.value, (x) => yamlString(x, true), this.slots)}`);
    // "#cloud-config" must be the first line (config.IsCloudConfig)
    return `#cloud-config\n${comments(comment)}coreos:\n  etcd2:\n${lines.join('\n')}\n`;
  },
};

/** A YAML value: booleans typed, text one double-quoted string (slots spliced in raw). */
function yamlValue(v: Value, str: (s: string) => string, slots: FormatSpec['slots']): string {
  if (typeof v === 'boolean') return String(v);
  if (!hasSlot(v)) return str(plain(v));
  // a slot sits inside the quoted string: quote each literal part and drop its quotes
  return `"${withSlots(v, (x) => str(x).slice(1, -1), slots)}"`;
}

const envFile: FormatSpec = {
  consumer: 'systemd EnvironmentFile= and POSIX sh (set -a; . FILE)',
  refuse: (s, m) => noSlots(s, 'an EnvironmentFile') ?? etcdRefuses(s, m),
  slots: null,
  spell(settings, comment) {
    const lines = settings.map((s) => `ETCD_${s.key.toUpperCase().replace(/-/g, '_')}=${typeof s.value === 'boolean' ? String(s.value) : envValue(plain(s.value))}`);
    return `${comments(comment)}${lines.join('\n')}\n`;
  },
};

const TLS_NESTED: Record<string, [section: string, key: string]> = {
  'cert-file': ['client-transport-security', 'cert-file'],
  'key-file': ['client-transport-security', 'key-file'],
  'trusted-ca-file': ['client-transport-security', 'trusted-ca-file'],
  'client-cert-auth': ['client-transport-security', 'client-cert-auth'],
  'peer-cert-file': ['peer-transport-security', 'cert-file'],
  'peer-key-file': ['peer-transport-security', 'key-file'],
  'peer-trusted-ca-file': ['peer-transport-security', 'trusted-ca-file'],
  'peer-client-cert-auth': ['peer-transport-security', 'client-cert-auth'],
  // etcd's config file has no top-level auto-tls: it would be ignored without a word
  'auto-tls': ['client-transport-security', 'auto-tls'],
  'peer-auto-tls': ['peer-transport-security', 'auto-tls'],
};

const etcdYaml: FormatSpec = {
  consumer: 'etcd --config-file (3.x)',
  refuse(s, m) {
    if (m.etcd.version === '2.3') return 'etcd 2.3 has no --config-file';
    return noSlots(s, 'etcd --config-file') ?? etcdRefuses(s, m);
  },
  slots: null,
  spell(settings, comment) {
    const flat: string[] = [];
    const nested = new Map<string, string[]>();
    for (const s of settings) {
      const target = TLS_NESTED[s.key];
      const value = yamlValue(s.value, (x) => yamlString(x), null);
      if (target) nested.set(target[0], [...(nested.get(target[0]) ?? []), `  ${target[1]}: ${value}`]);
      else flat.push(`${s.key}: ${value}`);
    }
    // In a config file etcd starts from embed.NewConfig(). In 3.4 its EnableGRPCGateway is
    // false, where the flag's default is true: without this line the v3 JSON gateway
    // (what `srvctl drift --etcd` and `member add` talk to) is off (3.4.23 answers 404).
    // 3.5's NewConfig sets EnableGRPCGateway: true (server/embed/config.go; 3.5.16 and
    // 3.5.30 answer without the line), so there the line only says what etcd does anyway;
    // it is written for every 3.x so that one render means the same on each.
    flat.push('enable-grpc-gateway: true');
    const sections = [...nested].map(([section, lines]) => `${section}:\n${lines.join('\n')}`);
    return `${comments(comment)}${[...flat, ...sections].join('\n')}\n`;
  },
};

const flags: FormatSpec = {
  consumer: 'a POSIX shell command line (etcd --flag=value ...)',
  refuse: (s, m) => noSlots(s, 'a shell command line') ?? etcdRefuses(s, m),
  slots: null,
  spell(settings, comment) {
    const words = settings.map((s) => `  --${s.key}=${typeof s.value === 'boolean' ? String(s.value) : shellWord(plain(s.value))}`);
    return `${comments(comment)}etcd \\\n${words.join(' \\\n')}\n`;
  },
};

/** Container Linux Config `etcd.version`: a semver the transpiler also uses as ETCD_IMAGE_TAG=v<version>. */
export function clcVersion(m: Manifest): string {
  return `${m.etcd.version}.0`;
}

const clc: FormatSpec = {
  consumer: 'the Container Linux Config transpiler (ct), for etcd-member.service',
  refuse(s, m) {
    const known = m.etcd.version === '2.3' ? CLC_ETCD2 : CLC_ETCD3_3;
    if (!known.has(s.key)) {
      return s.key === 'discovery-srv-name'
        ? "the Container Linux Config transpiler has no discovery_srv_name (config/types/etcd.go), so etcd.serviceName cannot be passed; use --format ignition, env, etcd-yaml or flags"
        : `the Container Linux Config transpiler's etcd ${m.etcd.version === '2.3' ? 'Etcd2' : 'Etcd3_3'} options have no ${s.key.replace(/-/g, '_')} (config/types/etcd.go)`;
    }
    if (isText(s.value)) {
      const v = plain(s.value);
      // ct reads {...} in any option as a template (config/templating) and copies values
      // with Go's %q into ExecStart=, where systemd expands $VAR and %specifiers.
      if (/[{}$%]/.test(v)) return `the value of ${s.key} holds {, }, $ or %: ct would template it, or systemd would expand it in the ExecStart= line ct writes`;
    }
    return null;
  },
  slots: { privateIpv4: '{PRIVATE_IPV4}', name: '{HOSTNAME}' },
  spell(settings, comment, m) {
    const lines = settings.map((s) => `  ${s.key.replace(/-/g, '_')}: ${yamlValue(s.value, (x) => yamlString(x), this.slots)}`);
    return `${comments(comment)}etcd:\n  version: ${yamlString(clcVersion(m))}\n${lines.join('\n')}\n`;
  },
};

/** The drop-in ct writes for etcd-member.service (config/types/etcd.go etcdContents), with srvctl's quoting. */
export function etcdMemberDropin(settings: Settings, m: Manifest): string {
  const args = settings.map((s) => ` \\\n  ${systemdArg(`--${s.key}=${typeof s.value === 'boolean' ? String(s.value) : plain(s.value)}`)}`);
  return `[Service]\nEnvironment="ETCD_IMAGE_TAG=v${clcVersion(m)}"\nExecStart=\nExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS${args.join('')}\n`;
}

const ignition: FormatSpec = {
  consumer: 'Ignition (Flatcar: etcd-member.service; spec 3.0.0, accepted by ignition-validate)',
  refuse: (s, m) => (hasSlot(s.value) ? 'Ignition substitutes nothing; for one config on every machine transpile `--format clc --shared` with ct --platform' : etcdRefuses(s, m)),
  slots: null,
  spell(settings, comment, m) {
    const doc = {
      ignition: { version: '3.0.0' },
      systemd: {
        units: [
          {
            name: 'etcd-member.service',
            enabled: true,
            dropins: [{ name: '20-srvctl-etcd-member.conf', contents: `# ${comment.join('\n# ')}\n${etcdMemberDropin(settings, m)}` }],
          },
        ],
      },
    };
    return `${JSON.stringify(doc, null, 2)}\n`;
  },
};

export const SPECS: Record<Format, FormatSpec> = {
  'cloud-config': cloudConfig,
  static: cloudConfig,
  env: envFile,
  'etcd-yaml': etcdYaml,
  flags,
  clc,
  ignition,
};
