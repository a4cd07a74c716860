import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTsigKey } from '../../providers/rfc2136.js';
import { namedSecret } from '../../providers/secrets.js';
import { SrvctlError } from '../../src/errors.js';
import { scratch } from '../support/run.js';

/** systemd credentials: a secret the manifest names by variable is also found as $CREDENTIALS_DIRECTORY/NAME. */
describe('secrets from $CREDENTIALS_DIRECTORY', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const secret = Buffer.alloc(32, 7).toString('base64');
  beforeEach(async () => {
    ({ dir, cleanup } = await scratch());
    mkdirSync(join(dir, 'creds'));
  });
  afterEach(() => cleanup());

  const credential = (name: string, text: string) => {
    writeFileSync(join(dir, 'creds', name), text);
    chmodSync(join(dir, 'creds', name), 0o400);
  };

  it('the variable wins; without it the credential of the same name is read, its trailing newline dropped', async () => {
    credential('PDNS_API_KEY', 'from-credential\n');
    const env = { CREDENTIALS_DIRECTORY: join(dir, 'creds') };
    assert.equal(await namedSecret(env, 'PDNS_API_KEY', 'provider.apiKeyEnv', 'the key'), 'from-credential');
    assert.equal(await namedSecret({ ...env, PDNS_API_KEY: 'from-env' }, 'PDNS_API_KEY', 'provider.apiKeyEnv', 'the key'), 'from-env');
  });

  it('a TSIG key from a credential, as tsig-keygen wrote it or bare', async () => {
    credential('SRVCTL_TSIG', `key "srvctl" {\n\talgorithm hmac-sha256;\n\tsecret "${secret}";\n};\n`);
    const key = await loadTsigKey({ name: 'srvctl', secretEnv: 'SRVCTL_TSIG' }, { CREDENTIALS_DIRECTORY: join(dir, 'creds') });
    assert.equal(Buffer.from(key.secret).toString('base64'), secret);
    credential('BARE', `${secret}\n`);
    const bare = await loadTsigKey({ name: 'srvctl', secretEnv: 'BARE' }, { CREDENTIALS_DIRECTORY: join(dir, 'creds') });
    assert.equal(Buffer.from(bare.secret).toString('base64'), secret);
  });

  it('missing everywhere: the message names the variable, the key and the directory, never a value', async () => {
    const env = { CREDENTIALS_DIRECTORY: join(dir, 'creds') };
    await assert.rejects(namedSecret(env, 'SRVCTL_TSIG', 'provider.tsig.secretEnv', 'the TSIG secret'), (e: SrvctlError) =>
      e.code === 'provider' && /environment variable SRVCTL_TSIG \(provider\.tsig\.secretEnv\) is not set and \$CREDENTIALS_DIRECTORY holds no credential SRVCTL_TSIG/.test(e.message));
    await assert.rejects(namedSecret({}, 'SRVCTL_TSIG', 'provider.tsig.secretEnv', 'the TSIG secret'), (e: SrvctlError) => /^environment variable SRVCTL_TSIG \(provider\.tsig\.secretEnv\) is not set: it must hold the TSIG secret$/.test(e.message));
    credential('EMPTY', '\n');
    await assert.rejects(namedSecret(env, 'EMPTY', 'provider.tokenEnv', 'a token'), /credential EMPTY .* is empty/);
  });
});
