/**
 * Which Parquet writer should the normalizer use? Each candidate writes the
 * same generated curated vitals rows (already typed, as the row normalizer
 * hands them over) to one zstd Parquet file, in its own child process so the
 * peak RSS is honest. Prints one JSON object per candidate.
 *
 *   node --import tsx src/parquet-writers.ts [rows]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOLEAN, DOUBLE, DuckDBDataChunk, DuckDBInstance, timestampValue, VARCHAR } from '@duckdb/node-api';
import { ParquetWriter } from 'hyparquet-writer';
import { fileWriter } from 'hyparquet-writer/src/node.js';
import type { CuratedColumn, CuratedValue } from '@pulse-lake/shared/datasets/contract';
import { curatedColumns } from '@pulse-lake/shared/datasets/contract';
import { vitals } from '@pulse-lake/shared/datasets/vitals';
import { openParquetWriter } from '@pulse-lake/shared/formats/parquet';
import type { Figures } from './child';
import { peakRssMib, runChild } from './child';

const CANDIDATES = ['generate-only', 'duckdb-staged', 'duckdb-chunks', 'duckdb-appender', 'hyparquet-writer'] as const;
type Candidate = (typeof CANDIDATES)[number];

/** A deterministic pseudo-random generator, so every candidate writes the same rows. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** Typed curated vitals rows in curatedColumns(vitals) order. */
export function* curatedVitalsRows(count: number): Generator<CuratedValue[]> {
  const random = lcg(42);
  const sourceHash = hex(0xabcdef, 64);
  const ingestedAt = new Date('2024-03-02T00:00:00Z');
  const start = Date.parse('2024-03-01T00:00:00Z');
  for (let i = 0; i < count; i++) {
    const patient = Math.floor(random() * 5000);
    yield [
      `${hex(patient, 8)}${hex(patient * 7919, 56)}`.slice(0, 64),
      random() < 0.1 ? null : `${hex(patient * 31, 64)}`.slice(0, 64),
      new Date(start + Math.floor(random() * 86_400_000)),
      Math.round((55 + random() * 50) * 10) / 10,
      Math.round((90 + random() * 10) * 10) / 10,
      Math.round(100 + random() * 60),
      Math.round(60 + random() * 30),
      Math.round((36 + random() * 1.5) * 10) / 10,
      Math.round(12 + random() * 8),
      sourceHash,
      i + 1,
      ingestedAt,
    ];
  }
}

async function duckdbStaged(path: string, columns: CuratedColumn[], rows: number): Promise<void> {
  const writer = await openParquetWriter(path, columns);
  for (const row of curatedVitalsRows(rows)) writer.append(row);
  await writer.close();
}

async function duckdbAppender(path: string, columns: CuratedColumn[], rows: number, dir: string): Promise<void> {
  // File-backed with a memory limit, as a Lambda would need for a large chunk.
  const db = await DuckDBInstance.create(join(dir, 'appender.duckdb'), { memory_limit: '256MB', threads: '2' });
  const connection = await db.connect();
  const sqlType = {
    string: 'VARCHAR',
    integer: 'BIGINT',
    double: 'DOUBLE',
    boolean: 'BOOLEAN',
    date: 'DATE',
    timestamp: 'TIMESTAMP',
  } as const;
  await connection.run(`CREATE TABLE t (${columns.map((c) => `"${c.name}" ${sqlType[c.type]}`).join(', ')})`);
  const appender = await connection.createAppender('t');
  for (const row of curatedVitalsRows(rows)) {
    for (let i = 0; i < columns.length; i++) {
      const value = row[i] ?? null;
      const type = columns[i]?.type;
      if (value === null) appender.appendNull();
      else if (type === 'timestamp' && value instanceof Date)
        appender.appendTimestamp(timestampValue(BigInt(value.getTime()) * 1000n));
      else if (type === 'integer' && typeof value === 'number') appender.appendBigInt(BigInt(value));
      else if (type === 'double' && typeof value === 'number') appender.appendDouble(value);
      else if (typeof value === 'string') appender.appendVarchar(value);
      else appender.appendNull();
    }
    appender.endRow();
  }
  appender.closeSync();
  await connection.run(`COPY t TO '${path}' (FORMAT PARQUET, COMPRESSION zstd)`);
  connection.closeSync();
}

/** Column-wise data chunks appended in one call each: doubles travel as typed arrays, strings one native call each. */
async function duckdbChunks(path: string, columns: CuratedColumn[], rows: number, dir: string): Promise<void> {
  const db = await DuckDBInstance.create(':memory:', { memory_limit: '256MB', threads: '2', temp_directory: dir });
  const connection = await db.connect();
  const staged = columns.map((c) =>
    c.type === 'string' || c.type === 'date' ? VARCHAR : c.type === 'boolean' ? BOOLEAN : DOUBLE,
  );
  await connection.run(`CREATE TABLE t (${columns.map((_c, i) => `c${i} ${staged[i]?.toString()}`).join(', ')})`);
  const appender = await connection.createAppender('t');
  const size = 2048;
  let buffers: CuratedValue[][] = columns.map(() => []);
  const flush = () => {
    const n = buffers[0]?.length ?? 0;
    if (n === 0) return;
    const chunk = DuckDBDataChunk.create(staged, n);
    for (let i = 0; i < columns.length; i++) {
      const values = buffers[i] ?? [];
      chunk.setColumnValues(
        i,
        columns[i]?.type === 'timestamp'
          ? values.map((v) => (v instanceof Date ? v.getTime() : null))
          : (values as never),
      );
    }
    appender.appendDataChunk(chunk);
    buffers = columns.map(() => []);
  };
  for (const row of curatedVitalsRows(rows)) {
    for (let i = 0; i < columns.length; i++) buffers[i]?.push(row[i] ?? null);
    if ((buffers[0]?.length ?? 0) >= size) flush();
  }
  flush();
  appender.closeSync();
  const select = columns.map(
    (c, i) =>
      `${
        c.type === 'timestamp'
          ? `make_timestamp((c${i} * 1000)::BIGINT)`
          : c.type === 'integer'
            ? `c${i}::BIGINT`
            : c.type === 'date'
              ? `c${i}::DATE`
              : `c${i}`
      } AS "${c.name}"`,
  );
  await connection.run(`COPY (SELECT ${select.join(', ')} FROM t) TO '${path}' (FORMAT PARQUET, COMPRESSION zstd)`);
  connection.closeSync();
}

async function hyparquet(path: string, columns: CuratedColumn[], rows: number): Promise<void> {
  const basic = {
    string: 'STRING',
    integer: 'INT64',
    double: 'DOUBLE',
    boolean: 'BOOLEAN',
    date: 'STRING',
    timestamp: 'TIMESTAMP',
  } as const;
  const writer = new ParquetWriter({
    writer: fileWriter(path),
    schema: [
      { name: 'root', num_children: columns.length },
      ...columns.map((c) => ({
        name: c.name,
        type:
          c.type === 'string'
            ? ('BYTE_ARRAY' as const)
            : c.type === 'double'
              ? ('DOUBLE' as const)
              : c.type === 'boolean'
                ? ('BOOLEAN' as const)
                : c.type === 'date'
                  ? ('INT32' as const)
                  : ('INT64' as const),
        repetition_type: 'OPTIONAL' as const,
        ...(c.type === 'string' ? { converted_type: 'UTF8' as const } : {}),
        ...(c.type === 'timestamp'
          ? { logical_type: { type: 'TIMESTAMP' as const, isAdjustedToUTC: true, unit: 'MILLIS' as const } }
          : {}),
      })),
    ],
  });
  // Bounded memory: buffer one row group of column arrays at a time.
  const groupSize = 100_000;
  let buffers: unknown[][] = columns.map(() => []);
  const flush = async () => {
    if ((buffers[0]?.length ?? 0) === 0) return;
    const columnData = columns.map((c, i) => ({
      name: c.name,
      type: basic[c.type],
      data: (c.type === 'integer'
        ? (buffers[i] ?? []).map((v) => (v === null ? null : BigInt(v as number)))
        : (buffers[i] ?? [])) as never,
    }));
    await writer.write({ columnData, rowGroupSize: groupSize });
    buffers = columns.map(() => []);
  };
  for (const row of curatedVitalsRows(rows)) {
    for (let i = 0; i < columns.length; i++) buffers[i]?.push(row[i] ?? null);
    if ((buffers[0]?.length ?? 0) >= groupSize) await flush();
  }
  await flush();
  await writer.finish();
}

async function runCandidate(candidate: Candidate, rows: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-parquet-'));
  const path = join(dir, 'out.parquet');
  const columns = curatedColumns(vitals);
  try {
    const started = performance.now();
    if (candidate === 'generate-only') {
      // The baseline: generating the rows without writing them, so the writers' own cost can be read off.
      const writer = await openParquetWriter(path, columns);
      let n = 0;
      for (const row of curatedVitalsRows(rows)) n += row.length;
      if (n > 0) writer.append(curatedVitalsRows(1).next().value ?? []);
      await writer.close();
    } else if (candidate === 'duckdb-staged') await duckdbStaged(path, columns, rows);
    else if (candidate === 'duckdb-chunks') await duckdbChunks(path, columns, rows, dir);
    else if (candidate === 'duckdb-appender') await duckdbAppender(path, columns, rows, dir);
    else await hyparquet(path, columns, rows);
    const seconds = (performance.now() - started) / 1000;
    // Every candidate must have written a readable file with every row.
    const db = await DuckDBInstance.create(':memory:');
    const check = await db.connect();
    const counted = (await check.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM '${path}'`)).getRowObjectsJson()[0]
      ?.n;
    check.closeSync();
    return {
      bench: 'parquet-writer',
      candidate,
      rows,
      rows_read_back: candidate === 'generate-only' ? rows : Number(counted),
      seconds: Math.round(seconds * 100) / 100,
      rows_per_s: Math.round(rows / seconds),
      file_mib: Math.round((statSync(path).size / 2 ** 20) * 10) / 10,
      peak_rss_mib: peakRssMib(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs every candidate in its own child process; returns their figures. */
export async function benchParquetWriters(rows: number): Promise<Figures[]> {
  const results: Figures[] = [];
  for (const candidate of CANDIDATES)
    results.push(await runChild(import.meta.url, ['--candidate', candidate, String(rows)]));
  return results;
}

const [, , first, second, third] = process.argv;
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  if (first === '--candidate') {
    const candidate = CANDIDATES.find((c) => c === second);
    if (candidate === undefined) throw new Error(`unknown candidate ${second}; one of ${CANDIDATES.join(', ')}`);
    console.log(JSON.stringify(await runCandidate(candidate, Number(third ?? 1_000_000))));
  } else {
    for (const figures of await benchParquetWriters(Number(first ?? 1_000_000))) console.log(JSON.stringify(figures));
  }
}
