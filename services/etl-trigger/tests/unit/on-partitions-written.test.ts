import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { buildLocalLake, type LocalLake } from '@pulse-lake/shared/adapters/local/index';
import type { DatasetContract } from '@pulse-lake/shared/datasets/contract';
import { getContract } from '@pulse-lake/shared/datasets/registry';
import { linesLogger } from '@pulse-lake/shared/edge/logger';
import type { PartitionsWrittenDetail } from '@pulse-lake/shared/lake/messages';
import { createHandler } from '../../src/handlers/on-partitions-written';

type PartitionsWritten = EventBridgeEvent<'Partitions Written', PartitionsWrittenDetail>;

const fixture = (name: string): PartitionsWritten =>
  JSON.parse(readFileSync(new URL(`../events/eventbridge/${name}.json`, import.meta.url), 'utf8')) as PartitionsWritten;
const context = {
  functionName: 'on-partitions-written',
  awsRequestId: 'test',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

/** gait being tried out before it becomes curated: the registry's contract, staged. */
const stagedGait: DatasetContract = { ...getContract('gait'), stage: 'staging' };
const contractOf = (dataset: string) => (dataset === 'gait' ? stagedGait : getContract(dataset));

describe('on-partitions-written', () => {
  let home: string;
  let lake: LocalLake;
  let logged: string[];
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'etl-trigger-handler-'));
    lake = buildLocalLake(home, { stage: 'test' });
    logged = [];
  });
  afterEach(async () => {
    await lake.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("registers a staging dataset's partitions in the staging database and kicks the staging crawler", async () => {
    // Prepare
    const handler = createHandler(lake, { contractOf, logger: linesLogger((line) => logged.push(line)) });

    // Act
    const result = await handler(fixture('partitions-written-staging'), context);

    // Assess
    expect(result).toEqual({ database: 'pulse_lake_test_staging', table: 'gait', created: 2, crawler: 'started' });
    expect((await lake.catalog.listPartitions('pulse_lake_test_staging', 'gait')).map((p) => p.Values)).toEqual([
      ['SG', '2026-03-01'],
      ['US', '2026-03-01'],
    ]);
    expect(await lake.crawlers.kicks('pulse-lake-test-staging-crawler')).toMatchObject({ kicks: 1 });
    expect(logged.map((line) => JSON.parse(line) as unknown)).toEqual([
      {
        level: 'INFO',
        message: 'staging crawler',
        dataset: 'gait',
        created: 2,
        crawler: 'pulse-lake-test-staging-crawler',
        outcome: 'started',
      },
    ]);
  });

  it('kicks the crawler once for a redelivered staging event within the interval', async () => {
    const handler = createHandler(lake, { contractOf, logger: linesLogger((line) => logged.push(line)) });

    await handler(fixture('partitions-written-staging'), context);
    const again = await handler(fixture('partitions-written-staging'), context);

    expect(again).toEqual({ database: 'pulse_lake_test_staging', table: 'gait', created: 0, crawler: 'debounced' });
    expect(await lake.crawlers.kicks('pulse-lake-test-staging-crawler')).toMatchObject({ kicks: 1 });
  });

  it("registers a curated dataset's partitions without kicking any crawler", async () => {
    const handler = createHandler(lake, { contractOf, logger: linesLogger((line) => logged.push(line)) });

    const result = await handler(fixture('partitions-written-curated'), context);

    expect(result).toEqual({ database: 'pulse_lake_test_curated', table: 'vitals', created: 2, crawler: 'none' });
    expect(await lake.crawlers.kicks('pulse-lake-test-staging-crawler')).toBeUndefined();
    expect(
      await lake.store.head(lake.names.buckets.curated, '_state/crawlers/pulse-lake-test-staging-crawler.json'),
    ).toBeUndefined();
    expect(logged).toEqual([]);
  });

  it('keeps the partitions registered when the crawler cannot be started, and fails so the event is retried', async () => {
    // Prepare
    const noCrawler = {
      ...lake,
      crawlers: {
        start: () =>
          Promise.reject(new Error('Crawler entry with name pulse-lake-test-staging-crawler does not exist')),
      },
    };
    const handler = createHandler(noCrawler, { contractOf, logger: linesLogger((line) => logged.push(line)) });

    // Act
    await expect(handler(fixture('partitions-written-staging'), context)).rejects.toThrow('does not exist');

    // Assess
    expect(await lake.catalog.listPartitions('pulse_lake_test_staging', 'gait')).toHaveLength(2);
    const retried = await createHandler(lake, { contractOf, logger: linesLogger((line) => logged.push(line)) })(
      fixture('partitions-written-staging'),
      context,
    );
    expect(retried.crawler).toBe('started');
  });
});
