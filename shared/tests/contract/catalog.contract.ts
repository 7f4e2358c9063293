/**
 * What every Catalog does: run by catalog.local.test.ts (the catalog files under a
 * temp LAKE_HOME) and catalog.aws.test.ts (the Glue adapter over fakes/glue.ts).
 */
import type { Catalog, PartitionInput, TableInput } from '../../src/ports';

/** A Parquet table partitioned by site and day, in Glue's TableInput shape. */
export function vitalsTable(overrides: Partial<TableInput> = {}): TableInput {
  return {
    Name: 'vitals',
    TableType: 'EXTERNAL_TABLE',
    Parameters: { classification: 'parquet' },
    PartitionKeys: [
      { Name: 'site', Type: 'string' },
      { Name: 'dt', Type: 'string' },
    ],
    StorageDescriptor: {
      Columns: [
        { Name: 'patient_token', Type: 'string', Comment: 'HMAC token' },
        { Name: 'heart_rate_bpm', Type: 'int' },
      ],
      Location: 's3://pulse-lake-test-curated/curated/vitals/',
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
    },
    ...overrides,
  };
}

function partition(site: string, dt: string): PartitionInput {
  return {
    Values: [site, dt],
    StorageDescriptor: {
      ...vitalsTable().StorageDescriptor,
      Location: `s3://pulse-lake-test-curated/curated/vitals/site=${site}/dt=${dt}/`,
    },
  };
}

/** Defines the Catalog contract; `open` gives a fresh, empty catalog per test. */
export function catalogContract(open: () => Promise<Catalog>): void {
  let catalog: Catalog;
  beforeEach(async () => {
    catalog = await open();
  });

  it('creates a database once, however often it is ensured, and lists it', async () => {
    await catalog.ensureDatabase('pulse_lake_test_curated', 'curated data');
    await catalog.ensureDatabase('pulse_lake_test_curated', 'curated data');
    await catalog.ensureDatabase('pulse_lake_test_staging');

    expect(await catalog.listDatabases()).toEqual(['pulse_lake_test_curated', 'pulse_lake_test_staging']);
  });

  it('creates a table, then updates it in place, keeping its partitions', async () => {
    await catalog.ensureDatabase('db');
    await catalog.upsertTable('db', vitalsTable());
    await catalog.addPartitions('db', 'vitals', [partition('SG', '2024-01-01')]);

    await catalog.upsertTable('db', vitalsTable({ Description: 'vitals, v2' }));

    const table = await catalog.getTable('db', 'vitals');
    expect(table).toMatchObject({ ...vitalsTable({ Description: 'vitals, v2' }), DatabaseName: 'db' });
    expect((await catalog.listTables('db')).map((t) => t.Name)).toEqual(['vitals']);
    expect(await catalog.listPartitions('db', 'vitals')).toHaveLength(1);
  });

  it('lower-cases table names, as Glue does', async () => {
    await catalog.ensureDatabase('db');

    await catalog.upsertTable('db', vitalsTable({ Name: 'Vitals' }));

    expect((await catalog.getTable('db', 'vitals'))?.Name).toBe('vitals');
  });

  it('answers undefined for a table that is not there, in a database that is or is not', async () => {
    await catalog.ensureDatabase('db');

    expect(await catalog.getTable('db', 'nothing')).toBeUndefined();
    expect(await catalog.getTable('no_such_db', 'nothing')).toBeUndefined();
  });

  it('lists no tables of a database that does not exist, and no partitions of a table that does not', async () => {
    await catalog.ensureDatabase('db');

    expect(await catalog.listTables('no_such_db')).toEqual([]);
    expect(await catalog.listPartitions('db', 'nothing')).toEqual([]);
  });

  it('refuses a table in a database that does not exist', async () => {
    await expect(catalog.upsertTable('no_such_db', vitalsTable())).rejects.toThrow();
  });

  it('counts only new partitions, tolerating ones that exist, and lists each once', async () => {
    await catalog.ensureDatabase('db');
    await catalog.upsertTable('db', vitalsTable());

    const first = await catalog.addPartitions('db', 'vitals', [
      partition('SG', '2024-01-01'),
      partition('US', '2024-01-01'),
    ]);
    const again = await catalog.addPartitions('db', 'vitals', [
      partition('SG', '2024-01-01'),
      partition('SG', '2024-01-02'),
    ]);

    expect(first).toEqual({ created: 2 });
    expect(again).toEqual({ created: 1 });
    const listed = await catalog.listPartitions('db', 'vitals');
    expect(listed.map((p) => p.Values).sort()).toEqual([
      ['SG', '2024-01-01'],
      ['SG', '2024-01-02'],
      ['US', '2024-01-01'],
    ]);
    expect(listed.find((p) => p.Values[0] === 'US')?.StorageDescriptor.Location).toBe(
      's3://pulse-lake-test-curated/curated/vitals/site=US/dt=2024-01-01/',
    );
  });

  it('refuses partitions of a table that does not exist, or with values that do not fit its keys', async () => {
    await catalog.ensureDatabase('db');
    await catalog.upsertTable('db', vitalsTable());

    await expect(catalog.addPartitions('db', 'nothing', [partition('SG', '2024-01-01')])).rejects.toThrow();
    await expect(
      catalog.addPartitions('db', 'vitals', [{ ...partition('SG', '2024-01-01'), Values: ['SG'] }]),
    ).rejects.toThrow();
  });

  it('deletes a table with its partitions, and deleting one that is not there is fine', async () => {
    await catalog.ensureDatabase('db');
    await catalog.upsertTable('db', vitalsTable());
    await catalog.addPartitions('db', 'vitals', [partition('SG', '2024-01-01')]);

    await catalog.deleteTable('db', 'vitals');
    await catalog.deleteTable('db', 'vitals');
    await catalog.upsertTable('db', vitalsTable());

    expect(await catalog.listPartitions('db', 'vitals')).toEqual([]);
  });
}
