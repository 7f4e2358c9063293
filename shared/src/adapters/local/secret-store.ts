/**
 * The SecretStore port on disk: `$LAKE_HOME/secrets/connectors.json`, a JSON
 * object of secret name -> value, mode 0600 in a 0700 folder, as SSM
 * SecureStrings are on AWS. Read at each lookup, so an edited file applies at
 * the next run.
 */
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretStore } from '../../ports';
import { SecretNotFoundError } from '../../ports';
import { withFileLock, writeFileAtomic } from './files';
import { readPrivateJson } from './key-store';

export interface LocalSecretStore extends SecretStore {
  readonly path: string;
  /** Stores (or replaces) secrets by name. */
  put(secrets: Record<string, string>): Promise<void>;
}

export function buildLocalSecretStore(home: string): LocalSecretStore {
  const dir = join(home, 'secrets');
  const path = join(dir, 'connectors.json');
  const read = async () => (await readPrivateJson<Record<string, unknown>>(path)) ?? {};
  return {
    path,
    async get(name) {
      const value = (await read())[name];
      if (typeof value !== 'string' || value === '') throw new SecretNotFoundError(name, path);
      return value;
    },
    async put(secrets) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      await withFileLock(join(dir, '.lock'), async () => {
        await writeFileAtomic(dir, path, `${JSON.stringify({ ...(await read()), ...secrets }, null, 2)}\n`, 0o600);
      });
    },
  };
}
