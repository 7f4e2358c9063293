import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PartitionInput, TableInput } from '../../../../src/ports';
import { CatalogEntityNotFoundError, buildLocalCatalog } from '../../../../src/adapters/local/catalog';

const storage = (location: string): TableInput['StorageDescriptor'] => ({
  Columns: [{ Name: 'heart_rate_bpm', Type: 'int' }],
  Location: location,
  InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
});
const table: TableInput = {
  Name: 'vitals',
  TableType: 'EXTERNAL_TABLE',
  Parameters: { classification: 'parquet' },
  PartitionKeys: [
    { Name: 'site', Type: 'string' },
    { Name: 'dt', Type: 'string' },
  ],
  StorageDescriptor: storage('s3://curated-bucket/curated/vitals/'),
};
const partition = (site: string, dt: string): PartitionInput => ({
  Values: [site, dt],
  StorageDescriptor: storage(`s3://curated-bucket/curated/vitals/site=${site}/dt=${dt}/`),
});

describe('local Glue catalog', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-glue-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('keeps a table and its partitions in Glue shapes in one file per table', async () => {
    const catalog = buildLocalCatalog(home, { now: () => new Date('2024-05-01T00:00:00Z') });
    await catalog.ensureDatabase('pulse_lake_local_curated', 'curated datasets');
    await catalog.upsertTable('pulse_lake_local_curated', table);
    await catalog.addPartitions('pulse_lake_local_curated', 'vitals', [partition('SG', '2024-01-01')]);

    const file = JSON.parse(await readFile(join(home, 'catalog', 'pulse_lake_local_curated', 'vitals.json'), 'utf8'));
    expect(file.Table).toMatchObject({
      Name: 'vitals',
      DatabaseName: 'pulse_lake_local_curated',
      UpdateTime: '2024-05-01T00:00:00.000Z',
      PartitionKeys: table.PartitionKeys,
    });
    expect(file.Partitions).toEqual([partition('SG', '2024-01-01')]);
    expect(await catalog.listDatabases()).toEqual(['pulse_lake_local_curated']);
    expect((await catalog.listTables('pulse_lake_local_curated')).map((t) => t.Name)).toEqual(['vitals']);
  });

  it('adds partitions idempotently, counting only new ones, even when writers race', async () => {
    const catalog = buildLocalCatalog(home);
    await catalog.ensureDatabase('db');
    await catalog.upsertTable('db', table);

    const first = await catalog.addPartitions('db', 'vitals', [
      partition('SG', '2024-01-01'),
      partition('US', '2024-01-01'),
    ]);
    const again = await catalog.addPartitions('db', 'vitals', [
      partition('SG', '2024-01-01'),
      partition('SG', '2024-01-02'),
    ]);
    const racing = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        catalog.addPartitions('db', 'vitals', [partition('SG', `2024-02-0${(i % 4) + 1}`)]),
      ),
    );

    expect(first.created).toBe(2);
    expect(again.created).toBe(1);
    expect(racing.reduce((n, r) => n + r.created, 0)).toBe(4);
    expect(await catalog.listPartitions('db', 'vitals')).toHaveLength(7);
  });

  it('keeps partitions when the table definition is updated', async () => {
    const catalog = buildLocalCatalog(home);
    await catalog.ensureDatabase('db');
    await catalog.upsertTable('db', table);
    await catalog.addPartitions('db', 'vitals', [partition('SG', '2024-01-01')]);

    await catalog.upsertTable('db', { ...table, Description: 'v2' });

    expect((await catalog.getTable('db', 'vitals'))?.Description).toBe('v2');
    expect(await catalog.listPartitions('db', 'vitals')).toHaveLength(1);
  });

  it('says what is missing when a table or database does not exist', async () => {
    const catalog = buildLocalCatalog(home);
    await expect(catalog.upsertTable('nodb', table)).rejects.toThrow(/database nodb does not exist/);
    await catalog.ensureDatabase('db');
    await expect(catalog.addPartitions('db', 'vitals', [partition('SG', '2024-01-01')])).rejects.toBeInstanceOf(
      CatalogEntityNotFoundError,
    );
    expect(await catalog.getTable('db', 'vitals')).toBeUndefined();
  });
});
