/** The KeyStore contract on the local key file (key-store.contract.ts). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalKeyStore } from '../../src/adapters/local/key-store';
import { keyStoreContract } from './key-store.contract';

describe('KeyStore contract: local file', () => {
  const homes: string[] = [];
  afterAll(async () => {
    for (const home of homes) await rm(home, { recursive: true, force: true });
  });

  keyStoreContract(async () => {
    const home = await mkdtemp(join(tmpdir(), 'contract-keys-'));
    homes.push(home);
    return { keys: buildLocalKeyStore(home), sameStorage: () => buildLocalKeyStore(home) };
  });
});
