import { openProvider } from '../../providers/index.js';
import type { Provider, ProviderContext } from '../../providers/provider.js';
import { requireManifest } from '../../src/manifest/load.js';
import type { Manifest } from '../../src/manifest/types.js';
import { diff } from '../../src/plan/diff.js';
import { readManaged } from '../../src/plan/gather.js';
import type { Plan } from '../../src/plan/plan.js';
import { desiredRecords } from '../../src/records/desired.js';

/** A provider context for in-process tests: the given environment, no output. */
export function testContext(env: Record<string, string | undefined> = {}): ProviderContext {
  return { env, debug: () => {}, now: () => new Date() };
}

/** A manifest from YAML text, as if it sat at `file`. */
export function manifestFrom(file: string, yaml: string): Manifest {
  return requireManifest(file, yaml).manifest;
}

/** A cluster of `members` members on hosts under `domain` with addresses in 10.<net>.0.0/16. */
export function clusterYaml(o: { cluster: string; domain: string; zone: string; members: number; net: number; provider: string; extra?: string }): string {
  const members = Array.from({ length: o.members }, (_, i) => `  - { name: m${i}, host: m${i}.${o.domain}, ipv4: 10.${o.net}.${i >> 8}.${(i & 255) + 1} }`).join('\n');
  return `version: 1\ncluster: ${o.cluster}\ndomain: ${o.domain}\nttl: 300\netcd: { version: "3.5", tls: false }\nprovider:\n${o.provider}\n  zone: ${o.zone}\n${o.extra ?? ''}members:\n${members}\n`;
}

export interface Synced {
  plan: Plan;
  provider: Provider;
}

/** read → plan → apply, in-process, as sync does it (without verify); the provider is closed. */
export async function syncInProcess(manifest: Manifest, ctx: ProviderContext = testContext(), between?: () => Promise<void>): Promise<Synced> {
  const provider = await openProvider(manifest, ctx);
  try {
    const { actual } = await readManaged(manifest, (names) => provider.read(names));
    const plan = diff(desiredRecords(manifest), actual, manifest.cluster, manifest.provider.zone);
    if (between) await between();
    if (plan.changes.length) await provider.apply(plan);
    return { plan, provider };
  } finally {
    await provider.close?.();
  }
}

/** read → plan only. */
export async function planInProcess(manifest: Manifest, ctx: ProviderContext = testContext()): Promise<Plan> {
  const provider = await openProvider(manifest, ctx);
  try {
    const { actual } = await readManaged(manifest, (names) => provider.read(names));
    return diff(desiredRecords(manifest), actual, manifest.cluster, manifest.provider.zone);
  } finally {
    await provider.close?.();
  }
}
