import { DuckDBInstance } from '@duckdb/node-api';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalLake, type LocalLake } from '../../../src/adapters/local/index';
import { promoteDataset, PromoteError } from '../../../src/catalog/promote';
import { partitionInput, tableInput } from '../../../src/catalog/table-definition';
import type { DatasetContract } from '../../../src/datasets/contract';
import { gait } from '../../../src/datasets/gait';
import { runToCompletion } from '../../../src/query/run';

describe('promoting a staging dataset to curated', () => {
  let home: string;
  let lake: LocalLake;
  const staging: DatasetContract = { ...gait, stage: 'staging' };

  /** gait as it was tried out: two days of Parquet under staging/, registered in the staging database. */
  async function stageGait(): Promise<void> {
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    for (const dt of ['2024-03-01', '2024-03-02']) {
      const folder = join(lake.store.bucketPath(lake.names.buckets.curated), 'staging', 'gait', 'site=SG', `dt=${dt}`);
      await mkdir(folder, { recursive: true });
      await connection.run(
        `COPY (SELECT 'tok-' || i AS patient_token, TIMESTAMP '${dt} 08:00:00' + INTERVAL (i) MINUTE AS recorded_at, 1000 + i AS step_count FROM range(3) t(i)) TO '${join(folder, 'part-0000000000000000-0000.parquet')}' (FORMAT parquet)`,
      );
    }
    connection.closeSync();
    duck.closeSync();
    await lake.catalog.ensureDatabase(lake.names.databases.staging);
    await lake.catalog.upsertTable(lake.names.databases.staging, tableInput(staging, lake.names));
    await lake.catalog.addPartitions(
      lake.names.databases.staging,
      'gait',
      ['2024-03-01', '2024-03-02'].map((dt) => partitionInput(staging, lake.names, { site: 'SG', dt })),
    );
  }

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-promote-'));
    lake = buildLocalLake(home);
  });
  afterEach(async () => {
    await lake.close();
    await rm(home, { recursive: true, force: true });
  });

  it('moves the staged files and partitions to curated, readable there, and leaves nothing staged', async () => {
    // Prepare
    await stageGait();
    const beforeCount = await runToCompletion(lake.engine, `SELECT count(*) FROM ${lake.names.databases.staging}.gait`);
    // Act: the contract now says curated
    const promotion = await promoteDataset(lake, 'gait', (name) => (name === 'gait' ? gait : undefined));
    // Assess
    expect(promotion).toEqual({ dataset: 'gait', objects: 2, partitions: 2 });
    const afterCount = await runToCompletion(
      lake.engine,
      `SELECT count(*), sum(step_count) FROM ${lake.names.databases.curated}.gait`,
    );
    expect(beforeCount.rows).toEqual([['6']]);
    expect(afterCount.rows).toEqual([['6', '6006']]);
    expect(await lake.catalog.getTable(lake.names.databases.staging, 'gait')).toBeUndefined();
    const left: string[] = [];
    for await (const object of lake.store.list(lake.names.buckets.curated, 'staging/')) left.push(object.key);
    expect(left).toEqual([]);
  });

  it('refuses while the contract still says staging, and when nothing is staged', async () => {
    await stageGait();
    await expect(promoteDataset(lake, 'gait', () => staging)).rejects.toThrow(
      new PromoteError(
        "gait is still declared stage: 'staging'; set stage: 'curated' in its contract (so new data goes to curated too), then promote what was staged",
      ),
    );
    await expect(promoteDataset(lake, 'vitals')).rejects.toThrow('nothing of vitals is staged');
  });
});
