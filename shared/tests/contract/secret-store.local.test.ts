/** The SecretStore contract on the local secrets file (secret-store.contract.ts). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalSecretStore } from '../../src/adapters/local/secret-store';
import { secretStoreContract } from './secret-store.contract';

describe('SecretStore contract: local file', () => {
  const homes: string[] = [];
  afterAll(async () => {
    for (const home of homes) await rm(home, { recursive: true, force: true });
  });

  secretStoreContract(async () => {
    const home = await mkdtemp(join(tmpdir(), 'contract-secrets-'));
    homes.push(home);
    const secrets = buildLocalSecretStore(home);
    return { secrets, store: (name, value) => secrets.put({ [name]: value }) };
  });
});
