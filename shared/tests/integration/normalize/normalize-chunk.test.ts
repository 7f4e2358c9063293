import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { LocalLake } from '../../../src/adapters/local/index';
import { buildLocalLake } from '../../../src/adapters/local/index';
import { rawKey } from '../../../src/lake/keys';
import { readFileManifest, writePlannedManifest } from '../../../src/lake/manifest';
import type { NormalizeChunkMessage } from '../../../src/lake/messages';
import { PARTITIONS_WRITTEN } from '../../../src/lake/messages';
import type { LakeEvent } from '../../../src/ports';
import { normalizeChunk } from '../../../src/normalize/normalize-chunk';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'vitals-small.csv');
const RAW_IDENTIFIERS = ['P-1001', 'P-1002', 'P-1003', 'P-1004', 'SN-77001', 'Alice', 'Bob Smith', 'Carol'];

describe('normalizeChunk on the local lake', () => {
  let home: string;
  let lake: LocalLake;
  let published: LakeEvent[];
  let db: DuckDBInstance;

  beforeAll(async () => {
    db = await DuckDBInstance.create(':memory:');
  });

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'pulse-normalize-it-'));
    lake = buildLocalLake(home, { clock: { now: () => new Date('2024-03-03T00:00:00Z') } });
    published = [];
  });

  afterEach(async () => {
    await lake.close();
    rmSync(home, { recursive: true, force: true });
  });

  async function landAndPlan(path: string, format: 'csv' | 'jsonl' = 'csv'): Promise<NormalizeChunkMessage> {
    const bytes = readFileSync(path);
    const contentHash = createHash('sha256').update(bytes).digest('hex');
    const raw = { bucket: lake.names.buckets.raw, key: rawKey('vitals', 'dropzone', contentHash, format) };
    await lake.store.put(raw.bucket, raw.key, bytes);
    const landedAt = '2024-03-02T12:00:00.000Z';
    await writePlannedManifest(
      lake.store,
      lake.names,
      { dataset: 'vitals', contentHash, format, raw, landedAt, chunkCount: 1 },
      new Date(landedAt),
    );
    return {
      kind: 'normalize-chunk',
      dataset: 'vitals',
      format,
      raw,
      contentHash,
      ingestedAt: landedAt,
      chunk: { index: 0, count: 1 },
    };
  }

  function deps() {
    return {
      store: lake.store,
      keys: lake.keys,
      clock: lake.clock,
      names: lake.names,
      bus: { publish: async (events: LakeEvent[]) => void published.push(...events) },
    };
  }

  async function query(sql: string): Promise<Record<string, unknown>[]> {
    const connection = await db.connect();
    try {
      return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    } finally {
      connection.closeSync();
    }
  }

  it('writes typed Parquet per site and day, a rejects file, a manifest and one Partitions Written event', async () => {
    // Prepare
    const message = await landAndPlan(fixture);
    const hash16 = message.contentHash.slice(0, 16);

    // Act
    const outcome = await normalizeChunk(deps(), message);

    // Assess: counts and keys
    expect(outcome).toMatchObject({
      rowsIn: 6,
      rowsWritten: 3,
      rowsRejected: 2,
      rowsDuplicate: 1,
      fileComplete: true,
      chunkIndex: 0,
    });
    expect(outcome.outputKeys).toEqual([
      `curated/vitals/site=SG/dt=2024-03-01/part-${hash16}-0000.parquet`,
      `curated/vitals/site=SG/dt=2024-03-02/part-${hash16}-0000.parquet`,
      `curated/vitals/site=US/dt=2024-03-01/part-${hash16}-0000.parquet`,
    ]);
    expect(outcome.rejectsKey).toBe(`rejects/vitals/${hash16}-0000.jsonl`);

    // Assess: the Parquet files, read back by DuckDB
    const curated = join(home, 's3', lake.names.buckets.curated);
    const glob = join(curated, 'curated/vitals/*/*/*.parquet');
    const schema = await query(
      `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${glob}', hive_partitioning = false))`,
    );
    expect(Object.fromEntries(schema.map((c) => [c.column_name, c.column_type]))).toMatchObject({
      patient_token: 'VARCHAR',
      device_token: 'VARCHAR',
      recorded_at: 'TIMESTAMP',
      heart_rate_bpm: 'DOUBLE',
      temperature_c: 'DOUBLE',
      _source_hash: 'VARCHAR',
      _source_line: 'BIGINT',
      _ingested_at: 'TIMESTAMP',
    });
    expect(schema.map((c) => c.column_name)).not.toContain('site');
    const rows = await query(
      `SELECT site, dt, strftime(recorded_at, '%Y-%m-%dT%H:%M:%SZ') AS at, heart_rate_bpm, _source_line::INTEGER AS line, _source_hash, patient_token
       FROM read_parquet('${glob}', hive_partitioning = true) ORDER BY line`,
    );
    expect(rows.map((r) => [r.site, r.dt, r.at, r.heart_rate_bpm, r.line])).toEqual([
      ['SG', '2024-03-01', '2024-03-01T08:00:00Z', 72, 1],
      ['US', '2024-03-01', '2024-03-01T09:30:00Z', 65.5, 2],
      ['SG', '2024-03-02', '2024-03-02T08:00:00Z', 75, 3],
    ]);
    expect(rows[0]?._source_hash).toBe(message.contentHash);
    expect(rows[0]?.patient_token).toBe(rows[2]?.patient_token);
    expect(rows[0]?.patient_token).not.toBe(rows[1]?.patient_token);

    // Assess: rejects, one line per rejected row, privacy-treated
    const rejectsText = readFileSync(
      join(home, 's3', lake.names.buckets.rejects, `rejects/vitals/${hash16}-0000.jsonl`),
      'utf8',
    );
    const rejects = rejectsText
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rejects).toHaveLength(2);
    expect(rejects[0]).toMatchObject({ file: message.raw.key, line: 5, physicalLine: 6, column: 'heart_rate_bpm' });
    expect(String(rejects[0]?.reason)).toContain('900');
    expect(rejects[1]).toMatchObject({ line: 6, physicalLine: 7, rule: 'field_count', values: {} });

    // Assess: no raw identifier anywhere downstream of raw
    const parquetText = (
      await query(`SELECT string_agg(CAST(COLUMNS(*) AS VARCHAR), ',') AS v FROM read_parquet('${glob}')`)
    )
      .map((r) => JSON.stringify(r))
      .join();
    expect(parquetText).toContain(String(rows[0]?.patient_token));
    const manifest = await readFileManifest(lake.store, lake.names, 'vitals', message.contentHash);
    const manifestText = readFileSync(join(curated, `_manifests/vitals/${message.contentHash}/chunk-0.json`), 'utf8');
    for (const id of RAW_IDENTIFIERS) {
      expect(rejectsText).not.toContain(id);
      expect(parquetText).not.toContain(id);
      expect(manifestText).not.toContain(id);
    }

    // Assess: manifest and event
    expect(manifest).toMatchObject({
      status: 'complete',
      totals: { rowsIn: 6, rowsWritten: 3, rowsRejected: 2, rowsDuplicate: 1 },
    });
    // The column the contract does not know, by position: its header is source text.
    expect(JSON.parse(manifestText)).toMatchObject({
      header: { unknown: [11] },
      dialect: { delimiter: ',', encoding: 'utf-8' },
    });
    expect(manifestText).not.toContain('Patient Name');
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      source: 'pulse-lake',
      detailType: PARTITIONS_WRITTEN,
      detail: { dataset: 'vitals', stage: 'curated', contentHash: message.contentHash },
    });
    expect((published[0]?.detail as { partitions: unknown[] }).partitions).toHaveLength(3);
  });

  it('overwrites its own outputs when the same chunk is delivered again instead of duplicating rows', async () => {
    const message = await landAndPlan(fixture);
    const first = await normalizeChunk(deps(), message);

    const second = await normalizeChunk(deps(), message);

    expect(second.outputKeys).toEqual(first.outputKeys);
    const glob = join(home, 's3', lake.names.buckets.curated, 'curated/vitals/*/*/*.parquet');
    expect(await query(`SELECT count(*)::INTEGER AS n FROM read_parquet('${glob}')`)).toEqual([{ n: 3 }]);
    // The winner's redelivery may re-announce (completion interrupted before publishing); never a third time.
    expect(published.length).toBeLessThanOrEqual(2);
  });

  it('quarantines a file whose required columns are missing and reports it instead of throwing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-normalize-bad-'));
    const path = join(dir, 'bad.csv');
    (await import('node:fs')).writeFileSync(path, 'HR,SpO2\n72,97\n');
    const message = await landAndPlan(path);

    const outcome = await normalizeChunk(deps(), message);

    expect(outcome.quarantined).toBeDefined();
    expect(outcome).toMatchObject({ rowsWritten: 0, outputKeys: [], partitions: [] });
    expect(published).toEqual([]);
    const reason = JSON.parse(
      readFileSync(
        join(home, 's3', lake.names.buckets.rejects, `quarantine/vitals/${message.contentHash}/reason.json`),
        'utf8',
      ),
    ) as { reason: string };
    expect(reason.reason).toBe(outcome.quarantined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('quarantines a file that rejects more than half its rows, keeping its rejects to say why, and lands none of it', async () => {
    // Prepare: 30 readings, 20 of them with the heart rate in the SpO2 column's place (out of range)
    const dir = mkdtempSync(join(tmpdir(), 'pulse-normalize-shifted-'));
    const path = join(dir, 'shifted.csv');
    const rows = Array.from(
      { length: 30 },
      (_, i) => `P-${i},SN-${i},2024-03-01T08:${String(i).padStart(2, '0')}:00Z,SG,${i < 20 ? 970 : 72},97`,
    );
    (await import('node:fs')).writeFileSync(
      path,
      ['patient_id,device_serial,recorded_at,site,heart_rate_bpm,spo2_pct', ...rows].join('\n'),
    );
    const message = await landAndPlan(path);

    // Act
    const outcome = await normalizeChunk(deps(), message);

    // Assess
    expect(outcome.quarantined).toMatch(/^20 of 30 rows \(66\.7 %\) were rejected, more than the 50 % vitals allows/);
    expect(outcome).toMatchObject({
      rowsIn: 30,
      rowsRejected: 20,
      rowsWritten: 0,
      outputKeys: [],
      partitions: [],
      rejectsKey: `rejects/vitals/${message.contentHash.slice(0, 16)}-0000.jsonl`,
    });
    expect(published).toEqual([]);
    const rejects = readFileSync(join(home, 's3', lake.names.buckets.rejects, outcome.rejectsKey ?? ''), 'utf8')
      .trim()
      .split('\n');
    expect(rejects).toHaveLength(20);
    expect(existsSync(join(home, 's3', lake.names.buckets.curated, 'curated', 'vitals'))).toBe(false);
    const reason = JSON.parse(
      readFileSync(
        join(home, 's3', lake.names.buckets.rejects, `quarantine/vitals/${message.contentHash}/reason.json`),
        'utf8',
      ),
    ) as { reason: string };
    expect(reason.reason).toBe(outcome.quarantined);
    rmSync(dir, { recursive: true, force: true });
  });
});
