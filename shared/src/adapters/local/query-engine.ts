/**
 * Athena on DuckDB: the execution state machine. Like Athena, a query starts at
 * once and runs in the background (QUEUED, RUNNING, then SUCCEEDED or FAILED);
 * its status is kept on disk, so any process of the lake can poll it. It runs
 * on the catalog's views (query-views.ts) as a single prepared SELECT,
 * parameters bound, never spliced: a query cannot write anything. Its result is
 * written and paged as Athena's CSV (query-results.ts).
 */
import { StatementType } from '@duckdb/node-api';
import type { DuckDBPreparedStatement } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type {
  Catalog,
  QueryEngine,
  QueryParameter,
  QueryResultPage,
  QueryStatus,
  StartQueryOptions,
} from '../../ports';
import type { LakeNames } from '../../ports';
import { describeError, errorMessage, readJsonIfExists, writeFileAtomic } from './files';
import type { LocalObjectStore } from './object-store';
import { createQueryResultFiles, QueryResultsUnavailableError } from './query-results';
import { createCatalogViews } from './query-views';

export { QueryResultsUnavailableError } from './query-results';

/** No query with that id (Athena's InvalidRequestException). */
export class QueryNotFoundError extends Error {
  override name = 'QueryNotFoundError';
}

export interface LocalQueryEngine extends QueryEngine {
  /** Waits for every running query to settle (for close() and one-shot runs). */
  idle(): Promise<void>;
  /** Queries still queued or running in this process. */
  inFlight(): number;
  /** Waits for running queries, then closes the DuckDB they ran on. */
  close(): Promise<void>;
}

export interface LocalQueryEngineDeps {
  home: string;
  store: LocalObjectStore;
  /** With a version (the local catalog has one), the views are built once per catalog version instead of per query. */
  catalog: Catalog & { version?(): Promise<string> };
  names: LakeNames;
  now?: () => Date;
}

function bindAll(statement: DuckDBPreparedStatement, parameters: QueryParameter[]): void {
  parameters.forEach((value, i) => {
    const index = i + 1;
    if (value === null) statement.bindNull(index);
    else if (typeof value === 'string') statement.bindVarchar(index, value);
    else if (typeof value === 'boolean') statement.bindBoolean(index, value);
    else if (Number.isInteger(value)) statement.bindBigInt(index, BigInt(value));
    else statement.bindDouble(index, value);
  });
}

/** Builds the DuckDB-backed engine. */
export function buildLocalQueryEngine(deps: LocalQueryEngineDeps): LocalQueryEngine {
  const now = deps.now ?? (() => new Date());
  const resultsBucket = deps.names.buckets['query-results'];
  const statusDir = join(deps.home, 'state', 'queries');
  const tmpDir = join(deps.home, 'tmp');
  const views = createCatalogViews(deps);
  const results = createQueryResultFiles(deps.store, resultsBucket);
  const statuses = new Map<string, QueryStatus>();
  const running = new Set<Promise<void>>();

  const statusPath = (id: string) => join(statusDir, `${id}.json`);
  async function save(status: QueryStatus): Promise<void> {
    // On disk first: a status this process shows must be one other processes can read too.
    await writeFileAtomic(tmpDir, statusPath(status.id), JSON.stringify(status));
    statuses.set(status.id, status);
  }

  /**
   * Compaction deletes a partition's merged inputs after its grace period; a query
   * that listed the folder just before can find one gone. Its rows are in the merged
   * file, which a fresh listing reads: the query runs again (up to four times, as the inputs go one by one).
   */
  async function runListingAgainOnVanishedFile<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        const vanished = /Cannot open file .*No such file or directory/.test(describeError(error));
        if (!vanished || attempt >= 5) throw error;
      }
    }
  }

  async function execute(id: string, sql: string, options: StartQueryOptions): Promise<void> {
    const viewed = await views.acquire(options.database ?? deps.names.databases.curated);
    try {
      const connection = await viewed.instance.connect();
      try {
        // Prepared anew on each attempt: the files of a view are listed when the statement is bound.
        const reader = await runListingAgainOnVanishedFile(async () => {
          const statement = await connection.prepare(sql);
          if (statement.statementType !== StatementType.SELECT)
            throw new Error('only a single SELECT statement may run here');
          const parameters = options.parameters ?? [];
          if (statement.parameterCount !== parameters.length) {
            throw new Error(
              `the query has ${statement.parameterCount} ? placeholders but ${parameters.length} parameters were given`,
            );
          }
          bindAll(statement, parameters);
          return statement.runAndReadAll();
        });
        await results.write(id, reader);
      } finally {
        connection.closeSync();
      }
    } finally {
      views.release(viewed);
    }
  }

  async function status(id: string): Promise<QueryStatus> {
    const known = statuses.get(id) ?? (await readJsonIfExists<QueryStatus>(statusPath(id)).catch(() => undefined));
    if (known === undefined || !/^[0-9a-f-]{36}$/.test(id)) throw new QueryNotFoundError(`no query with id ${id}`);
    return {
      ...known,
      submittedAt: new Date(known.submittedAt),
      ...(known.completedAt === undefined ? {} : { completedAt: new Date(known.completedAt) }),
    };
  }

  return {
    dialect: 'duckdb',
    async start(sql, options = {}) {
      const id = randomUUID();
      const base: QueryStatus = { id, state: 'QUEUED', submittedAt: now() };
      await save(base);
      const task = (async () => {
        await new Promise((resolve) => setImmediate(resolve));
        await save({ ...base, state: 'RUNNING' });
        try {
          await execute(id, sql, options);
          await save({
            ...base,
            state: 'SUCCEEDED',
            completedAt: now(),
            outputLocation: `s3://${resultsBucket}/${id}.csv`,
          });
        } catch (error) {
          // DuckDB's message names the SQL problem; it never holds bound parameter values.
          const reason = errorMessage(error) ?? 'the query failed';
          await save({ ...base, state: 'FAILED', completedAt: now(), reason });
        }
      })();
      const tracked = task.finally(() => running.delete(tracked));
      running.add(tracked);
      return id;
    },
    status,
    async results(id, options = {}): Promise<QueryResultPage> {
      const current = await status(id);
      if (current.state !== 'SUCCEEDED') {
        throw new QueryResultsUnavailableError(
          `query ${id} is ${current.state}${current.reason === undefined ? '' : ` (${current.reason})`}; results exist once it has SUCCEEDED`,
        );
      }
      return results.page(id, options);
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    inFlight: () => running.size,
    async close() {
      while (running.size > 0) await Promise.allSettled([...running]);
      await views.close();
    },
  };
}
