/**
 * End-to-end normalizer throughput: a generated 1,000,000-row vitals CSV
 * (~90 MB, realistic values, a few percent dirt) is landed on the local lake
 * and normalized by normalizeChunk, in a child process so its peak RSS is its
 * own; DuckDB's plain `COPY (SELECT * FROM read_csv(..)) TO .. (FORMAT PARQUET)`
 * of the same file is timed the same way as the yardstick.
 *
 *   node --import tsx src/normalize-vitals.ts [rows]
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { DuckDBInstance } from '@duckdb/node-api';
import { buildLocalLake } from '@pulse-lake/shared/adapters/local/index';
import { rawKey } from '@pulse-lake/shared/lake/keys';
import type { NormalizeChunkMessage } from '@pulse-lake/shared/lake/messages';
import { planRawObject } from '@pulse-lake/shared/ingest/plan-raw-object';
import { normalizeChunk } from '@pulse-lake/shared/normalize/normalize-chunk';
import { parquetEngine } from '@pulse-lake/shared/formats/parquet';
import type { Figures } from './child';
import { peakRssMib, runChild, serveWarmWorker, startWarmWorker } from './child';
import { normalizeWholeFile } from './whole-file';

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Writes the vitals CSV; about 3 % of rows are dirty (out of range, missing, malformed, duplicated, ragged). */
export async function generateVitalsCsv(path: string, rows: number): Promise<{ bytes: number; sha256: string }> {
  const random = lcg(7);
  const out = createWriteStream(path);
  const hash = createHash('sha256');
  const start = Date.parse('2024-03-01T00:00:00Z');
  let batch: string[] = [
    'patient_id,device_serial,recorded_at,site,heart_rate_bpm,spo2_pct,systolic_mmhg,diastolic_mmhg,temperature_c,respiratory_rate_bpm\n',
  ];
  let previous = '';
  const flush = async () => {
    const text = batch.join('');
    batch = [];
    hash.update(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  for (let i = 0; i < rows; i++) {
    const patient = Math.floor(random() * 20_000);
    const site = patient % 3 === 0 ? 'US' : 'SG';
    const at = new Date(start + Math.floor(random() * 30 * 86_400_000)).toISOString().replace('.000Z', 'Z');
    const hr = (55 + random() * 50).toFixed(0);
    let line = `PT-${String(patient).padStart(6, '0')},WD-${String(patient * 7 + 13).padStart(8, '0')},${at},${site},${hr},${(92 + random() * 8).toFixed(1)},${(100 + random() * 60).toFixed(0)},${(60 + random() * 30).toFixed(0)},${(36 + random() * 1.6).toFixed(1)},${(12 + random() * 8).toFixed(0)}\n`;
    const dirt = random();
    if (dirt < 0.01) line = line.replace(`,${hr},`, ',900,');
    else if (dirt < 0.015) line = line.replace(at, '31/02/2024 25:00');
    else if (dirt < 0.02) line = `,${line.slice(line.indexOf(',') + 1)}`;
    else if (dirt < 0.025 && previous !== '') line = previous;
    else if (dirt < 0.03) line = `${line.slice(0, line.lastIndexOf(','))}\n`;
    previous = line;
    batch.push(line);
    if (batch.length >= 10_000) await flush();
  }
  await flush();
  out.end();
  await once(out, 'finish');
  return { bytes: statSync(path).size, sha256: hash.digest('hex') };
}

/** One normalizer "Lambda" container: normalizes each chunk message it is given against the lake at `home`. */
async function serveChunks(home: string): Promise<void> {
  const lake = buildLocalLake(home);
  // Loaded before the first job, as in a warm container.
  await parquetEngine();
  try {
    await serveWarmWorker(async (messageJson) => {
      const message = JSON.parse(messageJson) as NormalizeChunkMessage;
      const started = performance.now();
      const outcome = await normalizeChunk(lake, message);
      return {
        chunk: message.chunk.index,
        rows: outcome.rowsIn,
        rows_written: outcome.rowsWritten,
        seconds: Math.round(((performance.now() - started) / 1000) * 100) / 100,
      };
    });
  } finally {
    await lake.close();
  }
}

/**
 * The deployed shape: the planner cuts the file into record-aligned chunks
 * (64 MiB by default) and each chunk is normalized by its own process, as by
 * its own Lambda, `concurrency` at a time. The processes are started (warm)
 * before the clock starts, as Lambda containers are in steady state; the time
 * runs from planning to the last chunk written.
 */
async function runFanOut(csv: string, sha256: string, concurrency: number): Promise<Figures> {
  const home = mkdtempSync(join(tmpdir(), 'pulse-bench-fanout-'));
  const lake = buildLocalLake(home);
  const workers = await Promise.all(
    Array.from({ length: concurrency }, () => startWarmWorker(import.meta.url, ['--serve-chunks', home])),
  );
  try {
    const raw = { bucket: lake.names.buckets.raw, key: rawKey('vitals', 'dropzone', sha256, 'csv') };
    await lake.store.putFile(raw.bucket, raw.key, csv);
    // Created once up front, as the deployed key exists before any normalizer runs.
    await lake.keys.pseudonymizationKey();
    const started = performance.now();
    // BENCH_CHUNK_MIB tries other chunk sizes than the deployed default.
    const chunkMib = Number(process.env.BENCH_CHUNK_MIB);
    const plan = await planRawObject(
      lake,
      raw,
      Number.isFinite(chunkMib) && chunkMib > 0 ? { chunkBytes: chunkMib * 2 ** 20 } : {},
    );
    const planSeconds = (performance.now() - started) / 1000;
    const messages = (await lake.queue.list(lake.names.queues.normalize)).map((m) => m.body);
    const results: Figures[] = [];
    let next = 0;
    await Promise.all(
      workers.map(async (worker) => {
        while (next < messages.length) results.push(await worker.run(messages[next++] as string));
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const rows = results.reduce((sum, r) => sum + Number(r.rows), 0);
    const closed = await Promise.all(workers.splice(0).map((worker) => worker.close()));
    return {
      bench: 'normalize-vitals-fanout',
      rows,
      rows_written: results.reduce((sum, r) => sum + Number(r.rows_written), 0),
      chunks: plan.chunks,
      concurrency,
      plan_seconds: Math.round(planSeconds * 100) / 100,
      chunk_seconds: results.map((r) => r.seconds).join(' '),
      seconds: Math.round(seconds * 100) / 100,
      rows_per_s: Math.round(rows / seconds),
      peak_rss_mib: Math.max(...closed.map((r) => Number(r.peak_rss_mib))),
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
    await lake.close();
    rmSync(home, { recursive: true, force: true });
  }
}

async function runDuckdbCopy(csv: string, rows: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-copy-'));
  try {
    const db = await DuckDBInstance.create(':memory:', { threads: '2' });
    const connection = await db.connect();
    const started = performance.now();
    await connection.run(
      `COPY (SELECT * FROM read_csv('${csv}', ignore_errors = true)) TO '${join(dir, 'out.parquet')}' (FORMAT PARQUET, COMPRESSION zstd)`,
    );
    const seconds = (performance.now() - started) / 1000;
    connection.closeSync();
    return {
      bench: 'duckdb-plain-copy',
      rows,
      seconds: Math.round(seconds * 100) / 100,
      rows_per_s: Math.round(rows / seconds),
      peak_rss_mib: peakRssMib(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Generates the CSV, runs both measurements in child processes, returns the pipeline's figures with its ratio to DuckDB. */
export async function benchNormalizeVitals(rows: number): Promise<Figures[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-vitals-'));
  try {
    const csv = join(dir, 'vitals.csv');
    const { bytes, sha256 } = await generateVitalsCsv(csv, rows);
    const copy = await runChild(import.meta.url, ['--duckdb-copy', csv, String(rows)]);
    const pipeline = await runChild(import.meta.url, ['--pipeline', csv, sha256]);
    const fanOut = await runFanOut(csv, sha256, availableParallelism());
    const ratio = (figures: Figures) =>
      Math.round((Number(figures.rows_per_s) / Number(copy.rows_per_s)) * 1000) / 1000;
    const fileMib = Math.round((bytes / 2 ** 20) * 10) / 10;
    return [
      { ...pipeline, file_mib: fileMib, ratio_to_duckdb: ratio(pipeline) },
      { ...fanOut, file_mib: fileMib, ratio_to_duckdb: ratio(fanOut) },
      { ...copy, ratio_to_duckdb: 1 },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Issue 3's large-file bench: a generated vitals CSV of about `gigabytes` GB
 * through the chunked path (64 MiB chunks, one warm worker per core), with the
 * DuckDB plain COPY of the same file as the yardstick.
 */
export async function benchLargeCsv(gigabytes: number): Promise<Figures[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-large-'));
  try {
    const csv = join(dir, 'vitals-large.csv');
    // About 73 bytes per generated row.
    const rows = Math.round((gigabytes * 1e9) / 73);
    const { bytes, sha256 } = await generateVitalsCsv(csv, rows);
    const copy = await runChild(import.meta.url, ['--duckdb-copy', csv, String(rows)]);
    const fanOut = await runFanOut(csv, sha256, availableParallelism());
    const fileMib = Math.round((bytes / 2 ** 20) * 10) / 10;
    return [
      {
        ...fanOut,
        bench: 'normalize-vitals-large-fanout',
        file_mib: fileMib,
        ratio_to_duckdb: Math.round((Number(fanOut.rows_per_s) / Number(copy.rows_per_s)) * 1000) / 1000,
      },
      { ...copy, bench: 'duckdb-plain-copy-large', file_mib: fileMib, ratio_to_duckdb: 1 },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [, , mode, first, second] = process.argv;
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  if (mode === '--pipeline' && first !== undefined && second !== undefined)
    console.log(
      JSON.stringify(
        await normalizeWholeFile(first, { contentHash: second, format: 'csv', bench: 'normalize-vitals' }),
      ),
    );
  else if (mode === '--serve-chunks' && first !== undefined) await serveChunks(first);
  else if (mode === '--fan-out' && first !== undefined && second !== undefined)
    console.log(JSON.stringify(await runFanOut(first, second, availableParallelism())));
  else if (mode === '--large' && first !== undefined)
    for (const figures of await benchLargeCsv(Number(first))) console.log(JSON.stringify(figures));
  else if (mode === '--duckdb-copy' && first !== undefined)
    console.log(JSON.stringify(await runDuckdbCopy(first, Number(second))));
  else
    for (const figures of await benchNormalizeVitals(Number(mode ?? 1_000_000))) console.log(JSON.stringify(figures));
}
