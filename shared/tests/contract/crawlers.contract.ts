/**
 * What every Crawlers does: run by crawlers.local.test.ts (kicks recorded under a
 * temp LAKE_HOME) and crawlers.aws.test.ts (the Glue adapter over fakes/glue.ts).
 * A local crawl has nothing to discover and ends at once, so only Glue ever answers
 * `already-running`; both must take a second start as no error.
 */
import type { Crawlers } from '../../src/ports';

/** The crawler the subjects know (deployed on the fake Glue). */
export const CRAWLER = 'pulse-lake-test-raw-pushes';

/** Defines the Crawlers contract; `open` gives fresh crawlers per test. */
export function crawlersContract(open: () => Promise<Crawlers>): void {
  let crawlers: Crawlers;
  beforeEach(async () => {
    crawlers = await open();
  });

  it('starts a crawler', async () => {
    expect(await crawlers.start(CRAWLER)).toBe('started');
  });

  it('takes a start while a crawl may still run as no error', async () => {
    await crawlers.start(CRAWLER);

    expect(['started', 'already-running']).toContain(await crawlers.start(CRAWLER));
  });
}
