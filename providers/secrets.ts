import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { SrvctlError } from '../src/errors.js';
import type { ProviderContext } from './provider.js';

/**
 * A secret the manifest names (tsig.secretEnv, apiKeyEnv, tokenEnv): the environment
 * variable of that name, else the systemd credential of that name. systemd hands a
 * unit's credentials (LoadCredential=NAME:/path) over as files in $CREDENTIALS_DIRECTORY,
 * readable by the unit's (dynamic) user only, so a DynamicUser= service needs neither an
 * EnvironmentFile nor a root-owned secret it cannot read. The same manifest works in a
 * shell, in CI (env) and under systemd (credential).
 */
export async function namedSecret(env: ProviderContext['env'], name: string, key: string, purpose: string): Promise<string> {
  const value = env[name];
  if (value) return value;
  const dir = env.CREDENTIALS_DIRECTORY;
  // The manifest's schema allows only [A-Za-z_][A-Za-z0-9_]* here: no path can leave the directory.
  if (dir && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    const file = join(dir, name);
    let text: string | undefined;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new SrvctlError('provider', `cannot read the credential ${name} in $CREDENTIALS_DIRECTORY (${key}): ${(e as Error).message}`);
    }
    if (text !== undefined) {
      const trimmed = text.trim();
      if (!trimmed) throw new SrvctlError('provider', `the credential ${name} in $CREDENTIALS_DIRECTORY (${key}) is empty: it must hold ${purpose}`);
      return trimmed;
    }
    throw new SrvctlError('provider', `environment variable ${name} (${key}) is not set and $CREDENTIALS_DIRECTORY holds no credential ${name}: one of them must hold ${purpose}`);
  }
  throw new SrvctlError('provider', `environment variable ${name} (${key}) is not set: it must hold ${purpose}`);
}
