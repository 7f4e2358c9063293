/**
 * Runs a query to the end on any QueryEngine (Athena, or DuckDB locally):
 * start, poll with a small growing backoff, then read every page.
 */
import type { QueryEngine, QueryResultPage, QueryStatus, StartQueryOptions } from '../ports';

/** The query ended FAILED or CANCELLED, or did not finish in time. */
export class QueryFailedError extends Error {
  override name = 'QueryFailedError';
  constructor(
    readonly queryId: string,
    readonly state: QueryStatus['state'] | 'TIMED_OUT',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface RunOptions extends StartQueryOptions {
  /** Give up after this long (default 5 minutes). */
  timeoutMs?: number;
  /** First wait between polls (default 50 ms); doubles up to `maxPollMs`. */
  firstPollMs?: number;
  /** Longest wait between polls (default 1 s). */
  maxPollMs?: number;
  /** Rows per page requested from the engine (default the engine's maximum). */
  pageSize?: number;
}

export interface QueryResult {
  queryId: string;
  columns: QueryResultPage['columns'];
  /** Data rows only: the header row engines put first on the first page is removed. */
  rows: (string | null)[][];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A first result page's rows without the header row Athena (and the local engine, like it) puts first. */
export function dataRowsOfFirstPage(page: QueryResultPage): QueryResultPage['rows'] {
  const head = page.rows[0];
  const isHeader =
    head !== undefined && head.length === page.columns.length && head.every((v, i) => v === page.columns[i]?.name);
  return isHeader ? page.rows.slice(1) : page.rows;
}

/**
 * Starts `sql`, waits for it to succeed and returns all its rows.
 * Throws QueryFailedError with the engine's reason when it fails or times out.
 */
export async function runToCompletion(
  engine: QueryEngine,
  sql: string,
  options: RunOptions = {},
): Promise<QueryResult> {
  const { timeoutMs = 300_000, firstPollMs = 50, maxPollMs = 1_000, pageSize, ...start } = options;
  const id = await engine.start(sql, start);
  const deadline = Date.now() + timeoutMs;
  let wait = firstPollMs;
  for (;;) {
    const status = await engine.status(id);
    if (status.state === 'SUCCEEDED') break;
    if (status.state === 'FAILED' || status.state === 'CANCELLED') {
      throw new QueryFailedError(
        id,
        status.state,
        `query ${id} ${status.state.toLowerCase()}: ${status.reason ?? 'no reason given'}`,
      );
    }
    if (Date.now() + wait > deadline)
      throw new QueryFailedError(
        id,
        'TIMED_OUT',
        `query ${id} did not finish within ${timeoutMs} ms (last state ${status.state})`,
      );
    await sleep(wait);
    wait = Math.min(wait * 2, maxPollMs);
  }
  const rows: (string | null)[][] = [];
  let columns: QueryResultPage['columns'] = [];
  let nextToken: string | undefined;
  let first = true;
  do {
    const page = await engine.results(id, {
      ...(pageSize !== undefined ? { pageSize } : {}),
      ...(nextToken !== undefined ? { nextToken } : {}),
    });
    if (first) {
      columns = page.columns;
      rows.push(...dataRowsOfFirstPage(page));
      first = false;
    } else {
      rows.push(...page.rows);
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return { queryId: id, columns, rows };
}
