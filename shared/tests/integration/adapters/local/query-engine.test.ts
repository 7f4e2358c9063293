import { DuckDBInstance } from '@duckdb/node-api';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueryEngine, QueryStatus, TableInput } from '../../../../src/ports';
import type { LocalLake } from '../../../../src/adapters/local/index';
import { buildLocalLake } from '../../../../src/adapters/local/index';

async function settle(engine: QueryEngine, id: string): Promise<QueryStatus> {
  for (;;) {
    const status = await engine.status(id);
    if (status.state === 'SUCCEEDED' || status.state === 'FAILED') return status;
    await new Promise((r) => setTimeout(r, 10));
  }
}

const storage = (location: string): TableInput['StorageDescriptor'] => ({
  Columns: [
    { Name: 'patient_token', Type: 'string' },
    { Name: 'heart_rate_bpm', Type: 'int' },
  ],
  Location: location,
  InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
});

describe('local Athena on DuckDB', () => {
  let home: string;
  let lake: LocalLake;
  let db: string;
  let curated: string;

  /** Writes a real Parquet partition into the curated bucket folder. */
  async function writePartition(site: string, dt: string, rows: number, register = true): Promise<void> {
    const dir = join(lake.store.bucketPath(curated), 'curated', 'vitals', `site=${site}`, `dt=${dt}`);
    await mkdir(dir, { recursive: true });
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    await connection.run(
      `COPY (SELECT 'tok-' || i AS patient_token, CAST(60 + i % 40 AS INTEGER) AS heart_rate_bpm FROM range(${rows}) t(i)) TO '${join(dir, 'part-0000000000000000-0000.parquet')}' (FORMAT parquet)`,
    );
    connection.closeSync();
    duck.closeSync();
    if (register) {
      const location = `s3://${curated}/curated/vitals/site=${site}/dt=${dt}/`;
      await lake.catalog.addPartitions(db, 'vitals', [{ Values: [site, dt], StorageDescriptor: storage(location) }]);
    }
  }

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-athena-'));
    lake = buildLocalLake(home);
    db = lake.names.databases.curated;
    curated = lake.names.buckets.curated;
    await lake.catalog.ensureDatabase(db);
    await lake.catalog.upsertTable(db, {
      Name: 'vitals',
      TableType: 'EXTERNAL_TABLE',
      Parameters: { classification: 'parquet' },
      PartitionKeys: [
        { Name: 'site', Type: 'string' },
        { Name: 'dt', Type: 'string' },
      ],
      StorageDescriptor: storage(`s3://${curated}/curated/vitals/`),
    });
  });
  afterEach(async () => {
    await lake.close();
    await rm(home, { recursive: true, force: true });
  });

  it('starts at once, runs in the background, writes the CSV to the results bucket and pages it like Athena', async () => {
    // Prepare
    await writePartition('SG', '2024-01-01', 1500);

    // Act
    const id = await lake.engine.start(
      'SELECT patient_token, heart_rate_bpm, site, dt FROM vitals ORDER BY heart_rate_bpm, patient_token',
    );
    const first = await lake.engine.status(id);
    const done = await settle(lake.engine, id);
    const page1 = await lake.engine.results(id, { pageSize: 1000 });
    const page2 = await lake.engine.results(id, { pageSize: 1000, nextToken: page1.nextToken ?? '' });

    // Assess
    expect(['QUEUED', 'RUNNING']).toContain(first.state);
    expect(done).toMatchObject({
      state: 'SUCCEEDED',
      outputLocation: `s3://${lake.names.buckets['query-results']}/${id}.csv`,
    });
    expect(await lake.store.head(lake.names.buckets['query-results'], `${id}.csv`)).toBeDefined();
    expect(page1.columns).toEqual([
      { name: 'patient_token', type: 'varchar' },
      { name: 'heart_rate_bpm', type: 'integer' },
      { name: 'site', type: 'varchar' },
      { name: 'dt', type: 'varchar' },
    ]);
    expect(page1.rows[0]).toEqual(['patient_token', 'heart_rate_bpm', 'site', 'dt']);
    expect(page1.rows).toHaveLength(1000);
    expect(page1.rows[1]?.slice(1)).toEqual(['60', 'SG', '2024-01-01']);
    expect(page2.rows).toHaveLength(501);
    expect(page2.nextToken).toBeUndefined();
    await expect(lake.engine.results(id, { pageSize: 1001 })).rejects.toThrow(/from 1 to 1000/);
  });

  it('pages a result the same from another process, which reads it back from its CSV (NULL and empty text kept apart)', async () => {
    // Prepare: a result with a NULL, an empty string and a value needing quotes
    const id = await lake.engine.start(
      "SELECT * FROM (VALUES (1, NULL, 'a,\"b\"'), (2, '', 'plain')) t(n, maybe, quoted) ORDER BY n",
    );
    await settle(lake.engine, id);
    const here = await lake.engine.results(id);
    // Act: another process's engine over the same lake
    const other = buildLocalLake(home);
    try {
      const there = await other.engine.results(id);
      // Assess
      expect(there).toEqual(here);
      expect(there.rows).toEqual([
        ['n', 'maybe', 'quoted'],
        ['1', null, 'a,"b"'],
        ['2', '', 'plain'],
      ]);
    } finally {
      await other.close();
    }
  });

  it('binds parameters as data: a hostile string matches nothing and drops nothing', async () => {
    await writePartition('SG', '2024-01-01', 10);
    const hostile = "tok-1' OR '1'='1'; DROP VIEW vitals; --";

    const id = await lake.engine.start(
      'SELECT count(*) AS n FROM vitals WHERE patient_token = ? AND heart_rate_bpm >= ?',
      { parameters: [hostile, 0] },
    );
    const ok = await lake.engine.start('SELECT count(*) AS n, ? AS echoed FROM vitals WHERE patient_token = ?', {
      parameters: [hostile, 'tok-1'],
    });

    expect(await settle(lake.engine, id)).toMatchObject({ state: 'SUCCEEDED' });
    expect((await lake.engine.results(id)).rows).toEqual([['n'], ['0']]);
    expect(await settle(lake.engine, ok)).toMatchObject({ state: 'SUCCEEDED' });
    expect((await lake.engine.results(ok)).rows).toEqual([
      ['n', 'echoed'],
      ['1', hostile],
    ]);
  });

  it('sees only registered partitions, and an empty typed view before the first one', async () => {
    const empty = await lake.engine.start('SELECT * FROM vitals');
    expect(await settle(lake.engine, empty)).toMatchObject({ state: 'SUCCEEDED' });
    expect((await lake.engine.results(empty)).columns.map((c) => c.name)).toEqual([
      'patient_token',
      'heart_rate_bpm',
      'site',
      'dt',
    ]);

    await writePartition('SG', '2024-01-01', 3);
    await writePartition('US', '2024-01-02', 5, false);
    const id = await lake.engine.start(`SELECT site, count(*) AS n FROM ${db}.vitals GROUP BY site ORDER BY site`);

    expect(await settle(lake.engine, id)).toMatchObject({ state: 'SUCCEEDED' });
    expect((await lake.engine.results(id)).rows).toEqual([
      ['site', 'n'],
      ['SG', '3'],
    ]);
  });

  it('cannot read files outside registered partitions, nor write, nor loosen its own settings', async () => {
    await writePartition('SG', '2024-01-01', 3);
    await lake.store.put(lake.names.buckets.raw, 'patients/dropzone/x.csv', 'patient_id,name\nP1,Alice\n');
    const rawFile = lake.store.objectPath(lake.names.buckets.raw, 'patients/dropzone/x.csv');
    const attempts = [
      `SELECT * FROM read_csv('${rawFile}')`,
      "SELECT * FROM read_text('/etc/hostname')",
      'SET enable_external_access = true',
      `COPY (SELECT 1) TO '${join(lake.store.bucketPath(curated), 'curated', 'vitals', 'site=SG', 'dt=2024-01-01', 'x.csv')}'`,
      'SELECT 1; SELECT 2',
    ];

    const statuses = await Promise.all(attempts.map(async (sql) => settle(lake.engine, await lake.engine.start(sql))));

    for (const status of statuses) expect(status.state).toBe('FAILED');
    expect(statuses[0]?.reason).toMatch(/Permission Error/);
    expect(statuses[3]?.reason).toMatch(/only a single SELECT/);
    await expect(lake.engine.results((statuses[0] as QueryStatus).id)).rejects.toThrow(/is FAILED/);
  });

  it('reports a failed query with the reason and a wrong parameter count', async () => {
    const bad = await lake.engine.start('SELECT no_such_column FROM vitals');
    const count = await lake.engine.start('SELECT ? AS a', { parameters: [] });

    expect(await settle(lake.engine, bad)).toMatchObject({
      state: 'FAILED',
      reason: expect.stringMatching(/no_such_column/),
    });
    expect(await settle(lake.engine, count)).toMatchObject({
      state: 'FAILED',
      reason: 'the query has 1 ? placeholders but 0 parameters were given',
    });
  });
});
