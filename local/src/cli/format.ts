/**
 * Query results for a terminal or a pipe: an aligned text table, JSON (an
 * array of objects, numbers and booleans typed from the result's column
 * types) or CSV (RFC 4180).
 */
export type OutputFormat = 'table' | 'json' | 'csv';

export interface ResultSet {
  columns: { name: string; type: string }[];
  rows: (string | null)[][];
}

const NUMERIC = /^(tinyint|smallint|integer|int|bigint|hugeint|double|float|real|decimal.*|numeric.*|ubigint|uinteger|usmallint|utinyint)$/i;

function typed(value: string | null, type: string): string | number | boolean | null {
  if (value === null) return null;
  if (NUMERIC.test(type.trim())) {
    const n = Number(value);
    return Number.isFinite(n) ? n : value;
  }
  if (/^bool(ean)?$/i.test(type.trim())) return value === 'true';
  return value;
}

/** The rows as objects keyed by column name, values typed by column type. */
export function resultObjects(result: ResultSet): Record<string, string | number | boolean | null>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, typed(row[i] ?? null, c.type)])));
}

function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Renders a result in `format`; the text ends with a newline. */
export function formatResult(result: ResultSet, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(resultObjects(result), null, 2)}\n`;
    case 'csv':
      return [result.columns.map((c) => csvField(c.name)), ...result.rows.map((r) => r.map(csvField))].map((r) => r.join(',')).join('\r\n') + '\r\n';
    case 'table': {
      const cells = [result.columns.map((c) => c.name), ...result.rows.map((r) => r.map((v) => v ?? 'NULL'))];
      const widths = result.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
      const numeric = result.columns.map((c) => NUMERIC.test(c.type.trim()));
      const line = (r: string[]) => r.map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
      const header = cells[0] ?? [];
      const rule = widths.map((w) => '-'.repeat(w)).join('  ');
      const body = cells.slice(1).map(line);
      return [line(header), rule, ...body, `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`].join('\n') + '\n';
    }
  }
}
