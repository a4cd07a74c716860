import type { Settings } from './config.js';

export const FORMATS = ['cloud-config', 'env', 'etcd-yaml', 'flags', 'clc', 'static'] as const;
export type Format = (typeof FORMATS)[number];

/** File extension for `--out DIR`. */
export const EXTENSION: Record<Format, string> = {
  'cloud-config': 'yaml',
  env: 'env',
  'etcd-yaml': 'conf.yaml',
  flags: 'flags',
  clc: 'clc.yaml',
  static: 'yaml',
};

function yamlScalar(v: string): string {
  return /^[A-Za-z0-9_./:$=,@-]+$/.test(v) && !/^(true|false|null|yes|no|on|off|~|[0-9.]+)$/i.test(v) ? v : JSON.stringify(v);
}

/** CoreOS cloud-config: `coreos.etcd2` keys become ETCD_* in etcd2.service's drop-in. */
export function cloudConfig(settings: Settings, header: string): string {
  const body = settings.map(([k, v]) => `    ${k}: ${yamlScalar(v)}`).join('\n');
  return `#cloud-config\n# ${header}\ncoreos:\n  etcd2:\n${body}\n`;
}

/** EnvironmentFile for etcd.service: ETCD_<FLAG> with hyphens as underscores. */
export function envFile(settings: Settings, header: string): string {
  return `# ${header}\n${settings.map(([k, v]) => `ETCD_${k.toUpperCase().replace(/-/g, '_')}=${/[\s"'$`\\]/.test(v) ? JSON.stringify(v) : v}`).join('\n')}\n`;
}

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

/** etcd --config-file: flag names as keys, TLS settings nested as etcd's config struct wants. */
export function etcdYaml(settings: Settings, header: string): string {
  const flat: string[] = [];
  const nested = new Map<string, string[]>();
  for (const [k, v] of settings) {
    const target = TLS_NESTED[k];
    const value = v === 'true' || v === 'false' ? v : yamlScalar(v);
    if (target) nested.set(target[0], [...(nested.get(target[0]) ?? []), `  ${target[1]}: ${value}`]);
    else flat.push(`${k}: ${value}`);
  }
  const sections = [...nested].map(([section, lines]) => `${section}:\n${lines.join('\n')}`);
  return `# ${header}\n${[...flat, ...sections].join('\n')}\n`;
}

export function flags(settings: Settings, header: string): string {
  return `# ${header}\netcd \\\n${settings.map(([k, v]) => `  --${k}=${/[\s"'$`\\]/.test(v) ? `'${v}'` : v}`).join(' \\\n')}\n`;
}

/** Container Linux / Flatcar Config: an `etcd:` section, keys with underscores. */
export function clc(settings: Settings, header: string): string {
  return `# ${header}\netcd:\n${settings.map(([k, v]) => `  ${k.replace(/-/g, '_')}: ${yamlScalar(v)}`).join('\n')}\n`;
}
