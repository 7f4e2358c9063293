/**
 * Glue crawlers, locally: there is no crawler to run. Every table the local
 * lake has comes from a contract and is registered directly, so a local crawl
 * would discover nothing; what stays observable is that the lake asked for one.
 * Each kick is recorded in `$LAKE_HOME/crawlers/<name>.json` (`lake up` says
 * where), so a test or a person can see when discovery would have run on AWS.
 */
import { join } from 'node:path';
import { assertCrawlerName } from '../../lake/keys';
import type { Crawlers } from '../../ports';
import { readJsonIfExists, withFileLock, writeFileAtomic } from './files';

/** What the local lake remembers of a crawler it was asked to start. */
export interface CrawlerKicks {
  name: string;
  kicks: number;
  lastKickedAt: string;
}

export interface LocalCrawlers extends Crawlers {
  /** Where the kicks of crawler `name` are recorded. */
  recordPath(name: string): string;
  /** The kicks recorded for crawler `name`, or undefined when it was never kicked. */
  kicks(name: string): Promise<CrawlerKicks | undefined>;
}

/** Builds the local crawlers under `home` (LAKE_HOME); `now` stamps each kick. */
export function buildLocalCrawlers(home: string, options: { now: () => Date }): LocalCrawlers {
  const dir = join(home, 'crawlers');
  const tmpDir = join(home, 'tmp');
  const recordPath = (name: string) => {
    assertCrawlerName(name);
    return join(dir, `${name}.json`);
  };
  const kicks = (name: string) => readJsonIfExists<CrawlerKicks>(recordPath(name));

  return {
    recordPath,
    kicks,
    async start(name: string) {
      const path = recordPath(name);
      // Kicks from several processes (worker pools) count each one.
      await withFileLock(join(home, 'locks', 'crawlers', `${name}.lock`), async () => {
        const earlier = await kicks(name);
        const record: CrawlerKicks = {
          name,
          kicks: (earlier?.kicks ?? 0) + 1,
          lastKickedAt: options.now().toISOString(),
        };
        await writeFileAtomic(tmpDir, path, `${JSON.stringify(record, null, 2)}\n`);
      });
      return 'started';
    },
  };
}
