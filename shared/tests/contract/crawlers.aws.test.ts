/** The Crawlers contract on the Glue adapter, over the fake Glue of fakes/glue.ts (crawlers.contract.ts). */
import { buildGlueCrawlers } from '../../src/adapters/aws/glue-crawlers';
import { CRAWLER, crawlersContract } from './crawlers.contract';
import { fakeGlue } from './fakes/glue';

describe('Crawlers contract: Glue', () => {
  crawlersContract(async () => buildGlueCrawlers(fakeGlue({ crawlers: [CRAWLER] })));
});
