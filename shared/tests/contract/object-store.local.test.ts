/** The ObjectStore contract on the local folders (object-store.contract.ts). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalObjectStore } from '../../src/adapters/local/object-store';
import { objectStoreContract } from './object-store.contract';

describe('ObjectStore contract: local folders', () => {
  const homes: string[] = [];
  afterAll(async () => {
    for (const home of homes) await rm(home, { recursive: true, force: true });
  });

  objectStoreContract(async () => {
    const home = await mkdtemp(join(tmpdir(), 'contract-store-'));
    homes.push(home);
    const store = buildLocalObjectStore(home);
    await store.createBucket('pulse-lake-test-raw');
    return { store, bucket: 'pulse-lake-test-raw', scratchDir: home };
  });
});
