/**
 * A local query's result kept as Athena keeps it: the full result as CSV in the
 * query-results bucket (`<id>.csv`, Athena's OutputLocation), its columns beside
 * it (`<id>.csv.metadata`), and pages read back from it, the first starting with
 * the header row as Athena's do. Any process of the lake can page a result.
 */
import type { DuckDBResultReader, DuckDBValue } from '@duckdb/node-api';
import { parse } from 'csv-parse/sync';
import type { QueryResultPage } from '../../ports';
import { readObjectText } from '../../lake/objects';
import type { LocalObjectStore } from './object-store';

/** Results were asked for before the query succeeded, or with a bad page request. */
export class QueryResultsUnavailableError extends Error {
  override name = 'QueryResultsUnavailableError';
}

export interface QueryResultFiles {
  /** Stores the rows a finished query read as the result of query `id`. */
  write(id: string, reader: DuckDBResultReader): Promise<void>;
  /** One page of the stored result of query `id` (at most 1,000 rows, as Athena's). */
  page(id: string, options: { pageSize?: number; nextToken?: string }): Promise<QueryResultPage>;
}

interface ResultMetadata {
  columns: { name: string; type: string }[];
  rows: number;
}

interface CachedResult {
  columns: ResultMetadata['columns'];
  /** The header row, then the data rows, as Athena's CSV holds them. */
  all: (string | null)[][];
}

const MAX_PAGE = 1000;
const MAX_CACHED_RESULTS = 16;
const MAX_CACHED_ROWS = 200_000;

/** DuckDB type names as Athena reports them in ColumnInfo. */
function athenaType(duckTypeName: string): string {
  const type = duckTypeName.toLowerCase();
  if (type.startsWith('decimal') || type === 'hugeint') return 'decimal';
  if (type === 'float') return 'real';
  if (type === 'blob') return 'varbinary';
  return type;
}

/** A result value as Athena writes it into its CSV. */
function cell(value: DuckDBValue): string | null {
  if (value === null || value === undefined) return null;
  // DuckDB's value classes (timestamps, decimals, lists) print in SQL literal form, as Athena's CSV does.
  return typeof value === 'string' ? value : String(value);
}

/** Athena's CSV: every value quoted, NULL as an empty unquoted field (so NULL and '' stay apart). */
function csvLine(values: (string | null)[]): string {
  return values.map((v) => (v === null ? '' : `"${v.replace(/"/g, '""')}"`)).join(',');
}

/** The result files of the queries run on this lake, kept in `resultsBucket` of `store`. */
export function createQueryResultFiles(store: LocalObjectStore, resultsBucket: string): QueryResultFiles {
  /**
   * The last results, parsed, so paging through one does not read and parse its
   * whole CSV again for every page (measured: 2 s a page for 31,000 rows).
   * Small results only: a big one is read from its CSV each time, as before.
   */
  const recentResults = new Map<string, CachedResult>();
  function remember(id: string, result: CachedResult): void {
    if (result.all.length > MAX_CACHED_ROWS) return;
    recentResults.delete(id);
    recentResults.set(id, result);
    while (recentResults.size > MAX_CACHED_RESULTS) recentResults.delete(recentResults.keys().next().value as string);
  }

  async function read(id: string): Promise<CachedResult> {
    const cached = recentResults.get(id);
    if (cached !== undefined) return cached;
    const readText = (key: string) => readObjectText(store, resultsBucket, key);
    const metadata = JSON.parse(await readText(`${id}.csv.metadata`)) as ResultMetadata;
    const all = parse(await readText(`${id}.csv`), {
      relax_column_count: false,
      cast: (value, context) => (context.quoting ? value : value === '' ? null : value),
    }) as (string | null)[][];
    const result = { columns: metadata.columns, all };
    remember(id, result);
    return result;
  }

  return {
    async write(id, reader) {
      const columns = reader.columnNames().map((name, i) => ({ name, type: athenaType(String(reader.columnType(i))) }));
      const rows = reader.getRows();
      const all = [columns.map((c) => c.name), ...rows.map((row) => row.map(cell))];
      await store.put(resultsBucket, `${id}.csv`, `${all.map(csvLine).join('\n')}\n`, { contentType: 'text/csv' });
      const metadata: ResultMetadata = { columns, rows: rows.length };
      await store.put(resultsBucket, `${id}.csv.metadata`, JSON.stringify(metadata), {
        contentType: 'application/json',
      });
      remember(id, { columns, all });
    },

    async page(id, options) {
      const pageSize = options.pageSize ?? MAX_PAGE;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE) {
        throw new QueryResultsUnavailableError(`pageSize ${pageSize} must be an integer from 1 to ${MAX_PAGE}`);
      }
      let offset = 0;
      if (options.nextToken !== undefined) {
        const [tokenId, tokenOffset] = Buffer.from(options.nextToken, 'base64url').toString('utf8').split(':');
        offset = Number(tokenOffset);
        if (tokenId !== id || !Number.isInteger(offset) || offset < 0)
          throw new QueryResultsUnavailableError(`nextToken does not belong to query ${id}`);
      }
      const { columns, all } = await read(id);
      // As in Athena, the first row of the first page is the header row.
      const rows = all.slice(offset, offset + pageSize);
      const page: QueryResultPage = { columns, rows };
      if (offset + pageSize < all.length)
        page.nextToken = Buffer.from(`${id}:${offset + pageSize}`, 'utf8').toString('base64url');
      return page;
    },
  };
}
