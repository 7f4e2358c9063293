/**
 * How a curated row is staged for the Parquet writer: one line of text per row,
 * fields separated by ASCII unit separators and quoted only when they must be,
 * each value checked against its column's type as it is encoded.
 */
import type { ColumnType, CuratedColumn, CuratedValue } from '../datasets/contract';

/** A value that does not fit its column's type: a bug upstream, not bad input (the row normalizer types values). */
export class ParquetValueError extends Error {
  override name = 'ParquetValueError';
  constructor(column: string, type: ColumnType, got: string, options?: { cause?: unknown }) {
    super(`column ${column} is ${type} but was given ${got}`, options);
  }
}

/** The DuckDB type each column type is staged and read as. */
export const SQL_TYPE: Record<ColumnType, string> = {
  string: 'VARCHAR',
  integer: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  // Staged as epoch microseconds, converted with make_timestamp.
  timestamp: 'BIGINT',
};

/** The field separator of staged rows: ASCII unit separator, which real text practically never holds. */
export const SEP = '\x1f';
const NEEDS_QUOTES = /[\x1f"\r\n]/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function describe(value: CuratedValue): string {
  if (value instanceof Date) return 'a Date';
  return typeof value === 'string' ? `a string of ${value.length} characters` : `${typeof value} ${String(value)}`;
}

/** Encodes one value of a column as its staged text. */
export type Encoder = (value: CuratedValue) => string;

/** The encoder of `column`; it throws ParquetValueError for a value of another type. */
export function encoderFor(column: CuratedColumn): Encoder {
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

/** Staged column positions: the columns that are not constants. */
export function stagedIndexes(
  columns: readonly CuratedColumn[],
  constants: Readonly<Record<string, CuratedValue>>,
): number[] {
  return columns.flatMap((column, index) => (Object.hasOwn(constants, column.name) ? [] : [index]));
}
