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
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { ColumnType, CuratedColumn, CuratedValue } from '../datasets/contract';

export interface ParquetWriterOptions {
  /** Rows per Parquet row group (default 122,880, DuckDB's). */
  rowGroupSize?: number;
  /** Compression codec (default zstd). */
  compression?: 'zstd' | 'snappy';
  /** The DuckDB instance that converts staged rows (default: one shared per process, see parquetEngine()). */
  engine?: DuckDBInstance;
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

/** A value that does not fit its column's type: a bug upstream, not bad input (the row normalizer types values). */
export class ParquetValueError extends Error {
  override name = 'ParquetValueError';
  constructor(column: string, type: ColumnType, got: string, options?: { cause?: unknown }) {
    super(`column ${column} is ${type} but was given ${got}`, options);
  }
}

const SQL_TYPE: Record<ColumnType, string> = {
  string: 'VARCHAR',
  integer: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  // Staged as epoch microseconds, converted with make_timestamp.
  timestamp: 'BIGINT',
};

/** The field separator of staged rows: ASCII unit separator, which real text practically never holds. */
const SEP = '\x1f';
const NEEDS_QUOTES = /[\x1f"\r\n]/;
const ROWS_PER_FLUSH = 4096;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

let shared: Promise<DuckDBInstance> | undefined;

/**
 * The process-wide DuckDB instance that converts staged rows, created on first
 * use: in-memory, memory-capped, spilling to os.tmpdir() (Lambda's only
 * writable folder) if it ever has to.
 */
export function parquetEngine(): Promise<DuckDBInstance> {
  shared ??= (async () => {
    const spill = join(tmpdir(), 'pulse-lake-duckdb');
    mkdirSync(spill, { recursive: true });
    return DuckDBInstance.create(':memory:', { memory_limit: '256MB', threads: '2', temp_directory: spill, preserve_insertion_order: 'true' });
  })();
  return shared;
}

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function describe(value: CuratedValue): string {
  if (value instanceof Date) return 'a Date';
  return typeof value === 'string' ? `a string of ${value.length} characters` : `${typeof value} ${String(value)}`;
}

type Encoder = (value: CuratedValue) => string;

function encoderFor(column: CuratedColumn): Encoder {
  const fail = (value: CuratedValue): never => {
    throw new ParquetValueError(column.name, column.type, describe(value));
  };
  switch (column.type) {
    case 'string':
      return (value) => {
        if (value === null) return '';
        if (typeof value !== 'string') return fail(value);
        // '' must stay an empty string: quoted, since an unquoted empty field is NULL.
        if (value === '') return '""';
        return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
      };
    case 'integer':
      return (value) => {
        if (value === null) return '';
        if (typeof value !== 'number' || !Number.isSafeInteger(value)) return fail(value);
        return String(value);
      };
    case 'double':
      return (value) => {
        if (value === null) return '';
        if (typeof value !== 'number' || !Number.isFinite(value)) return fail(value);
        return String(value);
      };
    case 'boolean':
      return (value) => {
        if (value === null) return '';
        if (typeof value !== 'boolean') return fail(value);
        return value ? 'true' : 'false';
      };
    case 'date':
      return (value) => {
        if (value === null) return '';
        if (typeof value !== 'string' || !DATE.test(value)) return fail(value);
        return value;
      };
    case 'timestamp':
      return (value) => {
        if (value === null) return '';
        if (!(value instanceof Date) || Number.isNaN(value.getTime())) return fail(value);
        return String(value.getTime() * 1000);
      };
  }
}

function conversionSql(stagePath: string, path: string, columns: readonly CuratedColumn[], options: ParquetWriterOptions): string {
  const types = columns.map((c, i) => `${sqlString(`c${i}`)}: ${sqlString(SQL_TYPE[c.type])}`).join(', ');
  const select = columns.map((c, i) => `${c.type === 'timestamp' ? `make_timestamp(c${i})` : `c${i}`} AS ${sqlIdentifier(c.name)}`).join(', ');
  const read =
    `read_csv(${sqlString(stagePath)}, columns = {${types}}, header = false, auto_detect = false, delim = ${sqlString(SEP)}, ` +
    `quote = '"', escape = '"', allow_quoted_nulls = false, new_line = '\\n', strict_mode = true)`;
  const codec = options.compression ?? 'zstd';
  return `COPY (SELECT ${select} FROM ${read}) TO ${sqlString(path)} (FORMAT PARQUET, COMPRESSION ${codec}, ROW_GROUP_SIZE ${options.rowGroupSize ?? 122_880})`;
}

/**
 * Opens a Parquet writer for `path` with `columns` (curatedColumns(contract)
 * order). Rows are staged next to `path` (`<path>.stage`) until close().
 */
export async function openParquetWriter(path: string, columns: readonly CuratedColumn[], options: ParquetWriterOptions = {}): Promise<ParquetFileWriter> {
  if (columns.length === 0) throw new ParquetValueError('(none)', 'string', 'an empty column list');
  const encoders = columns.map(encoderFor);
  const width = columns.length;
  const stagePath = `${path}.stage`;
  const fd = openSync(stagePath, 'w');
  let open = true;
  let rows = 0;
  let pending: string[] = [];

  const flush = () => {
    if (pending.length === 0) return;
    writeSync(fd, pending.join(''));
    pending = [];
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
      if (values.length !== width) throw new ParquetValueError('(row)', 'string', `${values.length} values for ${width} columns`);
      let line = '';
      for (let i = 0; i < width; i++) {
        const encode = encoders[i] as Encoder;
        line += i === 0 ? encode(values[i] ?? null) : SEP + encode(values[i] ?? null);
      }
      pending.push(`${line}\n`);
      rows++;
      if (pending.length >= ROWS_PER_FLUSH) flush();
    },
    async close() {
      if (!open) throw new Error(`parquet writer for ${path} is closed`);
      try {
        flush();
      } finally {
        release();
      }
      const engine = options.engine ?? (await parquetEngine());
      const connection = await engine.connect();
      try {
        await connection.run(conversionSql(stagePath, path, columns, options));
      } finally {
        connection.closeSync();
        rmSync(stagePath, { force: true });
      }
      return { rows };
    },
    abort() {
      pending = [];
      release();
      rmSync(stagePath, { force: true });
      rmSync(path, { force: true });
    },
  };
}
