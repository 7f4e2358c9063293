/** The Catalog contract on the local catalog files (catalog.contract.ts). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalCatalog } from '../../src/adapters/local/catalog';
import { catalogContract } from './catalog.contract';

describe('Catalog contract: local files', () => {
  const homes: string[] = [];
  afterAll(async () => {
    for (const home of homes) await rm(home, { recursive: true, force: true });
  });

  catalogContract(async () => {
    const home = await mkdtemp(join(tmpdir(), 'contract-catalog-'));
    homes.push(home);
    return buildLocalCatalog(home);
  });
});
