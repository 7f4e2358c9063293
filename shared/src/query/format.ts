/**
 * A query result as text: an aligned table for a terminal, JSON (an array of
 * objects, numbers and booleans typed from the column types) or CSV (RFC 4180).
 */
import { stringify } from 'csv-stringify/sync';

export type ResultFormat = 'table' | 'json' | 'csv';

export interface ResultSet {
  columns: readonly { name: string; type: string }[];
  rows: readonly (readonly (string | null)[])[];
}

const NUMERIC = /^(tinyint|smallint|integer|int|bigint|hugeint|double|float|real|decimal.*|numeric.*)$/i;

function typed(value: string | null, type: string): string | number | boolean | null {
  if (value === null) return null;
  const t = type.trim();
  if (NUMERIC.test(t)) {
    const n = Number(value);
    // A bigint beyond 2^53 stays text rather than silently losing digits.
    return Number.isFinite(n) && (Number.isSafeInteger(n) || !/^-?\d+$/.test(value)) ? n : value;
  }
  if (/^bool(ean)?$/i.test(t)) return value === 'true';
  return value;
}

/** The rows as objects keyed by column name, values typed by column type. */
export function resultObjects(result: ResultSet): Record<string, string | number | boolean | null>[] {
  return result.rows.map((row) =>
    Object.fromEntries(result.columns.map((c, i) => [c.name, typed(row[i] ?? null, c.type)])),
  );
}

/**
 * Records as RFC 4180 CSV, each ending in CRLF: a field is quoted when it holds a comma, quote, CR or LF;
 * NULL is empty; booleans are `true`/`false` (csv-stringify would write `1` and empty).
 */
export function csvRecords(records: readonly (readonly (string | number | boolean | null)[])[]): string {
  return stringify(
    records.map((record) => [...record]),
    // A lone CR or LF inside a field is quoted too, not only the CRLF that ends a record.
    { record_delimiter: 'windows', quote_record_delimiter: true, cast: { boolean: (value) => String(value) } },
  );
}

function csv(result: ResultSet): string {
  return csvRecords([
    result.columns.map((c) => c.name),
    ...result.rows.map((row) => result.columns.map((_, i) => row[i] ?? null)),
  ]);
}

/** Display width, counting astral characters once. */
const width = (text: string) => [...text].length;

function table(result: ResultSet): string {
  // A value's line breaks and tabs would break the grid; show them escaped.
  const show = (value: string | null) =>
    value === null ? 'NULL' : value.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  const header = result.columns.map((c) => c.name);
  const body = result.rows.map((row) => result.columns.map((_, i) => show(row[i] ?? null)));
  const widths = header.map((h, i) => Math.max(width(h), ...body.map((r) => width(r[i] ?? ''))));
  const right = result.columns.map((c) => NUMERIC.test(c.type.trim()));
  const line = (cells: string[], numeric: boolean[]) =>
    cells
      .map((cell, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - width(cell));
        return numeric[i] === true ? pad + cell : cell + pad;
      })
      .join(' | ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  const count = `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`;
  return `${[
    line(
      header,
      header.map(() => false),
    ),
    rule,
    ...body.map((r) => line(r, right)),
    count,
  ].join('\n')}\n`;
}

/** Renders a result in `format`; the text ends with a line break. */
export function formatResult(result: ResultSet, format: ResultFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(resultObjects(result), null, 2)}\n`;
    case 'csv':
      return csv(result);
    case 'table':
      return table(result);
  }
}

/**
 * A timestamp as engines print it: `2026-11-27 08:00:00[.123][+00[:00]|Z]`, or
 * `2026-11-27` for a date; without an offset it is UTC (the lake stores UTC).
 * Undefined when the text is not one.
 */
export function engineTimestamp(text: string): Date | undefined {
  const match = /^(\d{4}-\d\d-\d\d)(?:[ T](\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-]\d\d)(?::?(\d\d))?|[zZ])?)?$/.exec(
    text.trim(),
  );
  if (match === null) return undefined;
  const [, date, time = '00:00:00', offsetHours, offsetMinutes] = match;
  const at = new Date(
    `${date}T${time.replace(/(\.\d{3})\d+$/, '$1')}${offsetHours === undefined ? 'Z' : `${offsetHours}:${offsetMinutes ?? '00'}`}`,
  );
  return Number.isNaN(at.getTime()) ? undefined : at;
}
