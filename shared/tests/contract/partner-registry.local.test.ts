/** The PartnerRegistry contract on the local keys file (partner-registry.contract.ts). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalPartnerRegistry } from '../../src/adapters/local/partner-registry';
import { partnerRegistryContract } from './partner-registry.contract';

describe('PartnerRegistry contract: local file', () => {
  const homes: string[] = [];
  afterAll(async () => {
    for (const home of homes) await rm(home, { recursive: true, force: true });
  });

  partnerRegistryContract(async () => {
    const home = await mkdtemp(join(tmpdir(), 'contract-partners-'));
    homes.push(home);
    const partners = buildLocalPartnerRegistry(home);
    return { partners, register: (key) => partners.add(key) };
  });
});
