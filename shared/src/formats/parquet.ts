/**
 * The curated Parquet writer. Chosen by measurement (bench/README.md): rows are
 * staged as a typed, minimally quoted text file in the same folder, then DuckDB
 * converts it with one `COPY ... (FORMAT PARQUET, COMPRESSION zstd)` at close.
 * Row-by-row DuckDB appender calls and the pure-JS hyparquet-writer were both
 * measured slower; staging keeps the JS side to one string per row and memory
 * flat (one small buffer per open writer, DuckDB streams the conversion).
 *
 * Types: string -> VARCHAR, integer -> BIGINT, double -> DOUBLE, boolean ->
 * BOOLEAN, date -> DATE, timestamp -> TIMESTAMP (UTC, microseconds).
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { CuratedColumn, CuratedValue } from '../datasets/contract';
import { type Encoder, encoderFor, ParquetValueError, SEP, SQL_TYPE, stagedIndexes } from './parquet-staging';

export interface ParquetWriterOptions {
  /** Rows per Parquet row group (default 122,880, DuckDB's). */
  rowGroupSize?: number;
  /** Compression codec (default zstd). */
  compression?: 'zstd' | 'snappy';
  /** The DuckDB instance that converts staged rows (default: one shared per process, see parquetEngine()). */
  engine?: DuckDBInstance;
  /**
   * Columns with the same value on every row (lineage such as `_source_hash`),
   * by name: written once into the conversion SQL instead of staged per row.
   * append() ignores whatever its row holds at their positions.
   */
  constants?: Readonly<Record<string, CuratedValue>>;
}

export interface ParquetFileWriter {
  readonly path: string;
  /** Rows appended so far. */
  readonly rows: number;
  /** Appends one row, values in `columns` order (see CuratedValue for the JS type of each column type). */
  append(values: readonly CuratedValue[]): void;
  /** Writes the Parquet file at `path` and removes the staging file. */
  close(): Promise<{ rows: number }>;
  /** Drops everything written so far (after a failure elsewhere). */
  abort(): void;
}

/**
 * Each row's text goes into a byte buffer per writer at once, flushed when full:
 * nothing a normalizer stages (sixty writers may be open) lingers on the JS heap
 * for the garbage collector to promote and trace.
 */
const BUFFER_BYTES = 64 * 1024;
/** DuckDB's read buffer for a staging file, and so the longest staged row (a free-text value near 8 MiB would be refused loudly). */
const STAGE_BUFFER_BYTES = 8 * 1024 * 1024;

let shared: Promise<DuckDBInstance> | undefined;

/**
 * DuckDB's buffer cap for conversions, with one thread per conversion (the
 * process runs at most two at once, see withConversionSlot). 256 MB and two threads measured a 531 MiB peak
 * RSS for a 1M-row chunk that all lands in one partition; 128 MB and one thread
 * measured 366 MiB, and was faster (bench/README.md).
 */
const CONVERSION_MEMORY_LIMIT = '128MB';

/**
 * The process-wide DuckDB instance that converts staged rows, created on first
 * use: in-memory, memory-capped, spilling to its own folder under os.tmpdir()
 * (Lambda's only writable folder). Its own: two normalizer processes on one
 * machine that shared a spill folder corrupted each other's spill files.
 */
export function parquetEngine(): Promise<DuckDBInstance> {
  shared ??= spillingDuckDb({ memoryLimit: CONVERSION_MEMORY_LIMIT, threads: 1, preserveInsertionOrder: true });
  return shared;
}

/** An in-memory DuckDB capped at `memoryLimit` that spills to a folder of its own under os.tmpdir(), removed at exit. */
export async function spillingDuckDb(options: {
  memoryLimit: string;
  threads: number;
  preserveInsertionOrder: boolean;
}): Promise<DuckDBInstance> {
  const spill = mkdtempSync(join(tmpdir(), 'pulse-lake-duckdb-'));
  process.once('exit', () => rmSync(spill, { recursive: true, force: true }));
  return DuckDBInstance.create(':memory:', {
    memory_limit: options.memoryLimit,
    threads: String(options.threads),
    temp_directory: spill,
    preserve_insertion_order: String(options.preserveInsertionOrder),
  });
}

/**
 * Conversions running at once in this process, whoever asks: each needs its own
 * read buffer and row groups inside the one memory cap, so two normalizers in a
 * process (the local runtime runs batches concurrently) must not run four.
 */
const CONVERSIONS_AT_ONCE = 2;
let conversionsRunning = 0;
const waitingForSlot: (() => void)[] = [];

async function withConversionSlot(work: () => Promise<void>): Promise<void> {
  while (conversionsRunning >= CONVERSIONS_AT_ONCE) await new Promise<void>((resolve) => waitingForSlot.push(resolve));
  conversionsRunning++;
  try {
    await work();
  } finally {
    conversionsRunning--;
    waitingForSlot.shift()?.();
  }
}

/** A single-quoted DuckDB string literal (for paths and names the platform controls, never for user input). */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A double-quoted DuckDB identifier. */
export function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `value` as a SQL literal of `column`'s type, for a constant column. */
function sqlLiteral(column: CuratedColumn, value: CuratedValue): string {
  const staged = encoderFor(column)(value);
  if (value === null) return `CAST(NULL AS ${SQL_TYPE[column.type]})`;
  if (column.type === 'timestamp') return `make_timestamp(${staged})`;
  // Through the encoder, so a constant is checked exactly like a staged value.
  return `CAST(${sqlString(column.type === 'string' ? (value as string) : staged)} AS ${SQL_TYPE[column.type]})`;
}

function conversionSql(
  stagePath: string,
  path: string,
  columns: readonly CuratedColumn[],
  options: ParquetWriterOptions,
): string {
  const constants = options.constants ?? {};
  const staged = stagedIndexes(columns, constants);
  const types = staged
    .map((index, i) => `${sqlString(`c${i}`)}: ${sqlString(SQL_TYPE[(columns[index] as CuratedColumn).type])}`)
    .join(', ');
  const select = columns
    .map((column, index) => {
      const at = staged.indexOf(index);
      if (at < 0) return `${sqlLiteral(column, constants[column.name] ?? null)} AS ${sqlIdentifier(column.name)}`;
      return `${column.type === 'timestamp' ? `make_timestamp(c${at})` : `c${at}`} AS ${sqlIdentifier(column.name)}`;
    })
    .join(', ');
  const read =
    `read_csv(${sqlString(stagePath)}, columns = {${types}}, header = false, auto_detect = false, delim = ${sqlString(SEP)}, ` +
    `quote = '"', escape = '"', allow_quoted_nulls = false, new_line = '\\n', strict_mode = true, ` +
    // 8 MiB read buffers instead of 32: two conversions fit the memory cap with room for their row groups.
    `buffer_size = ${STAGE_BUFFER_BYTES}, max_line_size = ${STAGE_BUFFER_BYTES})`;
  const codec = options.compression ?? 'zstd';
  // zstd level 1: the same file size as the default level 3 on a million curated vitals
  // rows (25.3 MiB), for about a fifth less CPU (bench/README.md).
  const level = codec === 'zstd' ? ', COMPRESSION_LEVEL 1' : '';
  return `COPY (SELECT ${select} FROM ${read}) TO ${sqlString(path)} (FORMAT PARQUET, COMPRESSION ${codec}${level}, ROW_GROUP_SIZE ${options.rowGroupSize ?? 122_880})`;
}

/**
 * Opens a Parquet writer for `path` with `columns` (curatedColumns(contract)
 * order). Rows are staged next to `path` (`<path>.stage`) until close().
 */
export async function openParquetWriter(
  path: string,
  columns: readonly CuratedColumn[],
  options: ParquetWriterOptions = {},
): Promise<ParquetFileWriter> {
  if (columns.length === 0) throw new ParquetValueError('(none)', 'string', 'an empty column list');
  const constants = options.constants ?? {};
  for (const name of Object.keys(constants)) {
    if (!columns.some((c) => c.name === name))
      throw new ParquetValueError(name, 'string', 'a constant for a column the writer does not have');
  }
  // Checked now, so a bad constant fails at open, not at the end of the chunk.
  for (const column of columns)
    if (Object.hasOwn(constants, column.name)) sqlLiteral(column, constants[column.name] ?? null);
  const width = columns.length;
  const staged = stagedIndexes(columns, constants);
  if (staged.length === 0)
    throw new ParquetValueError('(all)', 'string', 'constants for every column; at least one column must vary');
  const encoders = staged.map((index) => encoderFor(columns[index] as CuratedColumn));
  const stagePath = `${path}.stage`;
  const fd = openSync(stagePath, 'w');
  let open = true;
  let rows = 0;
  const buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  let used = 0;

  const flush = () => {
    if (used > 0) writeSync(fd, buffer, 0, used);
    used = 0;
  };
  const writeText = (text: string) => {
    const most = text.length * 3;
    if (used + most > buffer.length) {
      flush();
      if (most > buffer.length) {
        writeSync(fd, text);
        return;
      }
    }
    used += buffer.write(text, used);
  };
  const release = () => {
    if (!open) return;
    open = false;
    closeSync(fd);
  };

  return {
    path,
    get rows() {
      return rows;
    },
    append(values) {
      if (!open) throw new Error(`parquet writer for ${path} is closed`);
      if (values.length !== width)
        throw new ParquetValueError('(row)', 'string', `${values.length} values for ${width} columns`);
      // The whole row is encoded (and so checked) before any byte is staged, so a bad
      // value leaves no half row; one buffer write per row, as each write crosses into C++.
      let line = (encoders[0] as Encoder)(values[staged[0] as number] ?? null);
      for (let i = 1; i < staged.length; i++)
        line += SEP + (encoders[i] as Encoder)(values[staged[i] as number] ?? null);
      writeText(`${line}\n`);
      rows++;
    },
    async close() {
      if (!open) throw new Error(`parquet writer for ${path} is closed`);
      try {
        flush();
      } finally {
        release();
      }
      try {
        await withConversionSlot(async () => {
          const engine = options.engine ?? (await parquetEngine());
          const connection = await engine.connect();
          try {
            await connection.run(conversionSql(stagePath, path, columns, options));
          } finally {
            connection.closeSync();
          }
        });
      } finally {
        rmSync(stagePath, { force: true });
      }
      return { rows };
    },
    abort() {
      used = 0;
      release();
      rmSync(stagePath, { force: true });
      rmSync(path, { force: true });
    },
  };
}
