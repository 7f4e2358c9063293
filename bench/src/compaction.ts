/**
 * Compaction of a stream-like partition: 2,000 small Parquet files of one
 * vitals partition (1,000,000 readings of 500 patients, one micro-batch per
 * file, as the stream writes them), merged by a bench child as the scheduled
 * Lambda would; and a typical named query (daily_vitals for one patient over
 * that day, scoped to its partner) timed before and after.
 *
 *   node --import tsx src/compaction.ts [--files 2000] [--rows 1000000]
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildLocalLake } from '@pulse-lake/shared/adapters/local/index';
import { datasetPrefix, partitionPrefix } from '@pulse-lake/shared/lake/keys';
import { getNamedQuery } from '@pulse-lake/shared/query/named-queries';
import { renderNamedQuery } from '@pulse-lake/shared/query/render';
import { runToCompletion } from '@pulse-lake/shared/query/run';
import { percentile, runChild } from './child';
import { registerGrown } from './query-api';

const SCRATCH = fileURLToPath(new URL('../scratch/compaction', import.meta.url));
const PATIENTS = 500;
const DAY = '2025-03-15';
const RUNS = 15;

export async function benchCompaction(files: number, rows: number): Promise<Record<string, unknown>[]> {
  const home = join(SCRATCH, `lake-${files}-${rows}`);
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const lake = buildLocalLake(home, { stage: 'local' });
  const curated = lake.store.bucketPath(lake.names.buckets.curated);
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const db = await instance.connect();
  const perFile = Math.ceil(rows / files);
  try {
    await db.run(`CREATE MACRO tok(x) AS sha256(x)`);
    mkdirSync(join(curated, datasetPrefix('curated', 'patients')), { recursive: true });
    await db.run(
      `COPY (SELECT tok('patient-' || i) AS patient_token, '01' AS postal_prefix, 1940 AS birth_year, 'F' AS sex, 'clinic-sg' AS partner_id, TIMESTAMP '2024-06-01 09:00:00' AS enrolled_at,
         tok('bench-patients') AS _source_hash, i + 1 AS _source_line, TIMESTAMP '2025-01-01 00:00:00' AS _ingested_at, 'SG' AS site, '2024-06-01' AS dt FROM range(${PATIENTS}) t(i))
       TO '${join(curated, datasetPrefix('curated', 'patients'))}' (FORMAT PARQUET, PARTITION_BY (site, dt), OVERWRITE_OR_IGNORE)`,
    );
    // One file per micro-batch: each its own source hash and ingest time, readings in arrival order across the patients.
    const folder = join(curated, partitionPrefix('curated', 'vitals', 'SG', DAY));
    mkdirSync(folder, { recursive: true });
    await db.run(
      `CREATE TABLE readings AS SELECT n // ${perFile} AS batch, tok('patient-' || (n % ${PATIENTS})) AS patient_token, tok('device-' || (n % ${PATIENTS})) AS device_token,
         TIMESTAMP '${DAY}' + INTERVAL ((n * 86400000) // ${rows}) MILLISECOND AS recorded_at, (60 + (n * 7919) % 35)::DOUBLE AS heart_rate_bpm, (92 + (n * 31) % 8)::DOUBLE AS spo2_pct,
         NULL::DOUBLE AS systolic_mmhg, NULL::DOUBLE AS diastolic_mmhg, NULL::DOUBLE AS temperature_c, NULL::DOUBLE AS respiratory_rate_bpm,
         tok('stream-batch-' || (n // ${perFile})) AS _source_hash, (n % ${perFile} + 1)::BIGINT AS _source_line, TIMESTAMP '${DAY}' + INTERVAL (n // ${perFile}) SECOND AS _ingested_at
       FROM range(${rows}) t(n)`,
    );
    const writeStarted = Date.now();
    for (let batch = 0; batch < files; batch++) {
      await db.run(
        `COPY (SELECT * EXCLUDE (batch) FROM readings WHERE batch = ${batch}) TO '${join(folder, `part-${String(batch).padStart(16, '0')}-0000.parquet`)}' (FORMAT PARQUET, COMPRESSION zstd)`,
      );
    }
    const writeMs = Date.now() - writeStarted;
    await registerGrown(lake, db, ['patients', 'vitals']);

    const query = getNamedQuery('daily_vitals');
    const rendered = renderNamedQuery(
      query,
      { from: DAY, to: DAY, patient_token: await patientToken(db, 7) },
      { partnerId: 'clinic-sg' },
      { curatedDatabase: lake.names.databases.curated, dialect: 'duckdb' },
    );
    const timeQuery = async () => {
      const times: number[] = [];
      let answer = '';
      for (let i = 0; i < RUNS + 2; i++) {
        const started = Date.now();
        answer = JSON.stringify(
          (await runToCompletion(lake.engine, rendered.sql, { parameters: rendered.parameters, firstPollMs: 2 })).rows,
        );
        if (i >= 2) times.push(Date.now() - started);
      }
      return { ms: percentile(times, 50), answer };
    };
    const before = await timeQuery();
    const compaction = await runChild(new URL('./compact-partition-child.ts', import.meta.url).href, [
      home,
      'vitals',
      'SG',
      DAY,
    ]);
    const after = await timeQuery();
    // The same answer from fewer files, or the figures mean nothing.
    if (before.answer !== after.answer || before.answer === '[]')
      throw new Error('daily_vitals answered differently after compaction (or not at all)');
    return [
      {
        bench: 'compaction',
        small_files: files,
        rows,
        small_files_written_ms: writeMs,
        ...compaction,
        daily_vitals_one_patient_day_before_p50_ms: before.ms,
        daily_vitals_one_patient_day_after_p50_ms: after.ms,
        query_speedup: Math.round((before.ms / after.ms) * 10) / 10,
      },
    ];
  } finally {
    db.closeSync();
    instance.closeSync();
    await lake.close();
  }
}

async function patientToken(db: Awaited<ReturnType<DuckDBInstance['connect']>>, index: number): Promise<string> {
  const rows = (await db.runAndReadAll(`SELECT tok('patient-${index}')`)).getRows();
  return String(rows[0]?.[0]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { files: { type: 'string' }, rows: { type: 'string' } } });
  for (const figures of await benchCompaction(Number(values.files ?? 2000), Number(values.rows ?? 1_000_000)))
    console.log(JSON.stringify(figures));
}
