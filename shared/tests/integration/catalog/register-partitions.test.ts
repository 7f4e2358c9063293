import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalLake } from '../../../src/adapters/local/index';
import { buildLocalLake } from '../../../src/adapters/local/index';
import { registerPartitions } from '../../../src/catalog/register-partitions';
import { tableInput } from '../../../src/catalog/table-definition';
import { getContract } from '../../../src/datasets/registry';
import { fileManifestKey, partitionLocation } from '../../../src/lake/keys';
import type { PartitionsWrittenDetail } from '../../../src/lake/messages';

const HASH = 'c'.repeat(64);

describe('registering written partitions', () => {
  let home: string;
  let lake: LocalLake;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-catalog-'));
    lake = buildLocalLake(home);
  });
  afterEach(async () => {
    await lake.close();
    await rm(home, { recursive: true, force: true });
  });

  function detail(partitions: { site: 'SG' | 'US'; dt: string }[]): PartitionsWrittenDetail {
    return {
      dataset: 'vitals',
      stage: 'curated',
      contentHash: HASH,
      manifest: { bucket: lake.names.buckets.curated, key: fileManifestKey('vitals', HASH) },
      partitions: partitions.map((p) => ({ ...p, location: partitionLocation(lake.names, 'curated', 'vitals', p.site, p.dt) })),
    };
  }

  it('creates the database and the table from the contract, and adds the partitions', async () => {
    // Act
    const result = await registerPartitions(lake, detail([{ site: 'SG', dt: '2024-03-01' }, { site: 'US', dt: '2024-03-01' }]));

    // Assess
    expect(result).toEqual({ database: lake.names.databases.curated, table: 'vitals', created: 2 });
    expect(await lake.catalog.listDatabases()).toContain(lake.names.databases.curated);
    const table = await lake.catalog.getTable(lake.names.databases.curated, 'vitals');
    const expected = tableInput(getContract('vitals'), lake.names);
    expect(table?.StorageDescriptor).toEqual(expected.StorageDescriptor);
    expect(table?.Parameters).toMatchObject(expected.Parameters);
    const partitions = await lake.catalog.listPartitions(lake.names.databases.curated, 'vitals');
    expect(partitions.map((p) => p.Values).sort()).toEqual([
      ['SG', '2024-03-01'],
      ['US', '2024-03-01'],
    ]);
    expect(partitions.map((p) => p.StorageDescriptor.Location)).toContain('s3://pulse-lake-local-curated/curated/vitals/site=SG/dt=2024-03-01/');
  });

  it('is idempotent: the same event again creates nothing', async () => {
    // Prepare
    const event = detail([{ site: 'SG', dt: '2024-03-02' }]);
    await registerPartitions(lake, event);

    // Act
    const again = await registerPartitions(lake, event);

    // Assess
    expect(again.created).toBe(0);
    expect(await lake.catalog.listPartitions(lake.names.databases.curated, 'vitals')).toHaveLength(1);
  });

  it('refuses a partition with an invalid date before touching the catalog', async () => {
    // Prepare
    const event = detail([]);
    event.partitions.push({ site: 'SG', dt: '2024-13-01', location: 's3://pulse-lake-local-curated/curated/vitals/site=SG/dt=2024-13-01/' });

    // Act / Assess
    await expect(registerPartitions(lake, event)).rejects.toThrow(/not a calendar date/);

    expect(await lake.catalog.listDatabases()).toEqual([]);
  });
});
