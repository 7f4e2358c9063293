/**
 * The one place where the SQL dialects Pulse Lake runs on differ. Named queries
 * are written in the common subset of Trino (Athena) and DuckDB; everything
 * the renderer generates around them goes through a Dialect.
 */
import type { QueryEngine } from '../ports';

export type DialectName = QueryEngine['dialect'];

export interface Dialect {
  name: DialectName;
  /** A quoted identifier (both engines use ANSI double quotes). */
  identifier(name: string): string;
  /** `"database"."table"`: the physical curated table. */
  table(database: string, table: string): string;
  /**
   * The projection of a subquery that carries a helper column (the dedupe row
   * number) which must not reach the named query. DuckDB can say
   * `* EXCLUDE (rn)`; Trino cannot, so Athena lists the contract's columns.
   * Both list them: the projection is then exactly the contract's columns,
   * whatever extra columns a Parquet file of an older schema version carries.
   */
  projectWithout(columns: readonly string[], helper: string): string;
}

const quote = (name: string): string => {
  // Generated names only, but a quote inside one would end the identifier: refuse rather than escape.
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new RangeError(`${JSON.stringify(name)} is not a plain SQL identifier`);
  return `"${name}"`;
};

const common = {
  identifier: quote,
  table: (database: string, table: string) => `${quote(database)}.${quote(table)}`,
  projectWithout: (columns: readonly string[]) => columns.map(quote).join(', '),
};

export const DIALECTS: Readonly<Record<DialectName, Dialect>> = {
  duckdb: { name: 'duckdb', ...common },
  athena: { name: 'athena', ...common },
};

/**
 * Constructs named queries must not use because only one of the engines
 * understands them (checked when a query is registered).
 */
export const NON_PORTABLE_TOKENS: readonly { token: RegExp; why: string }[] = [
  { token: /::/, why: '`::` casts are DuckDB-only; write CAST(x AS type)' },
  { token: /\bEXCLUDE\s*\(/i, why: 'SELECT * EXCLUDE is DuckDB-only; list the columns' },
  { token: /\bQUALIFY\b/i, why: 'QUALIFY is DuckDB-only; filter in an outer query' },
  { token: /\bILIKE\b/i, why: 'ILIKE is DuckDB-only; use lower(x) LIKE' },
  { token: /\bLIMIT\s+\d+\s*,/i, why: 'LIMIT offset, count is not Trino; use OFFSET .. LIMIT' },
];
