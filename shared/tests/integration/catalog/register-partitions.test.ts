import { DuckDBInstance } from '@duckdb/node-api';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalLake } from '../../../src/adapters/local/index';
import { buildLocalLake } from '../../../src/adapters/local/index';
import { registerPartitions } from '../../../src/catalog/register-partitions';
import { SchemaEvolutionError } from '../../../src/catalog/schema-evolution';
import { runToCompletion } from '../../../src/query/run';
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
      partitions: partitions.map((p) => ({
        ...p,
        location: partitionLocation(lake.names, 'curated', 'vitals', p.site, p.dt),
      })),
    };
  }

  it('creates the database and the table from the contract, and adds the partitions', async () => {
    // Act
    const result = await registerPartitions(
      lake,
      detail([
        { site: 'SG', dt: '2024-03-01' },
        { site: 'US', dt: '2024-03-01' },
      ]),
    );

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
    expect(partitions.map((p) => p.StorageDescriptor.Location)).toContain(
      's3://pulse-lake-local-curated/curated/vitals/site=SG/dt=2024-03-01/',
    );
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
    event.partitions.push({
      site: 'SG',
      dt: '2024-13-01',
      location: 's3://pulse-lake-local-curated/curated/vitals/site=SG/dt=2024-13-01/',
    });

    // Act / Assess
    await expect(registerPartitions(lake, event)).rejects.toThrow(/not a calendar date/);

    expect(await lake.catalog.listDatabases()).toEqual([]);
  });

  describe('schema evolution', () => {
    const database = () => lake.names.databases.curated;
    /** The vitals table as an earlier contract left it in the catalog. */
    async function earlierTable(change: (table: ReturnType<typeof tableInput>) => void): Promise<void> {
      const table = tableInput(getContract('vitals'), lake.names);
      change(table);
      await lake.catalog.ensureDatabase(database());
      await lake.catalog.upsertTable(database(), table);
    }

    it('adds a column the contract gained, and files written before it read it as null', async () => {
      // Prepare: the earlier table had no respiratory rate; a file written then lacks the column
      await earlierTable((t) => {
        t.StorageDescriptor.Columns = t.StorageDescriptor.Columns.filter((c) => c.Name !== 'respiratory_rate_bpm');
      });
      const folder = join(
        lake.store.bucketPath(lake.names.buckets.curated),
        'curated',
        'vitals',
        'site=SG',
        'dt=2024-03-01',
      );
      await mkdir(folder, { recursive: true });
      const duck = await DuckDBInstance.create(':memory:');
      const connection = await duck.connect();
      await connection.run(
        `COPY (SELECT 'tok' AS patient_token, 72.0 AS heart_rate_bpm) TO '${join(folder, 'part-0000000000000000-0000.parquet')}' (FORMAT parquet)`,
      );
      connection.closeSync();
      duck.closeSync();
      // Act
      await registerPartitions(lake, detail([{ site: 'SG', dt: '2024-03-01' }]));
      const rows = await runToCompletion(lake.engine, 'SELECT heart_rate_bpm, respiratory_rate_bpm FROM vitals');
      // Assess
      const columns = (await lake.catalog.getTable(database(), 'vitals'))?.StorageDescriptor.Columns.map((c) => c.Name);
      expect(columns).toContain('respiratory_rate_bpm');
      expect(rows.rows).toEqual([['72.0', null]]);
    });

    it('refuses to drop or retype a column under the same contract version, and leaves the catalog as it was', async () => {
      // Prepare: the catalog has a column the contract no longer has, and a column of another type
      await earlierTable((t) => {
        t.StorageDescriptor.Columns.push({ Name: 'pulse_pressure_mmhg', Type: 'double' });
        const spo2 = t.StorageDescriptor.Columns.find((c) => c.Name === 'spo2_pct');
        if (spo2 !== undefined) spo2.Type = 'string';
      });
      const before = await lake.catalog.getTable(database(), 'vitals');
      // Act
      const attempt = registerPartitions(lake, detail([{ site: 'SG', dt: '2024-03-02' }]));
      // Assess
      await expect(attempt).rejects.toThrow(
        new SchemaEvolutionError('vitals', [
          'column spo2_pct changes type from string to double',
          'column pulse_pressure_mmhg is removed',
        ]),
      );
      expect(await lake.catalog.getTable(database(), 'vitals')).toEqual(before);
      expect(await lake.catalog.listPartitions(database(), 'vitals')).toEqual([]);
    });

    it('accepts the same change once the contract declares a new version', async () => {
      await earlierTable((t) => {
        t.StorageDescriptor.Columns.push({ Name: 'pulse_pressure_mmhg', Type: 'double' });
        t.Parameters['pulse_lake.contract_version'] = '0';
      });
      await registerPartitions(lake, detail([{ site: 'SG', dt: '2024-03-02' }]));
      expect(
        (await lake.catalog.getTable(database(), 'vitals'))?.StorageDescriptor.Columns.map((c) => c.Name),
      ).not.toContain('pulse_pressure_mmhg');
    });
  });
});
