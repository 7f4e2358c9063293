/** The Crawlers contract on the local crawlers (crawlers.contract.ts). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalCrawlers } from '../../src/adapters/local/crawlers';
import { crawlersContract } from './crawlers.contract';

describe('Crawlers contract: local', () => {
  const homes: string[] = [];
  afterAll(async () => {
    for (const home of homes) await rm(home, { recursive: true, force: true });
  });

  crawlersContract(async () => {
    const home = await mkdtemp(join(tmpdir(), 'contract-crawlers-'));
    homes.push(home);
    return buildLocalCrawlers(home, { now: () => new Date() });
  });
});
