/**
 * Athena on DuckDB. Like Athena, a query starts at once and runs in the
 * background; status is polled; the full result is written as CSV to the
 * query-results bucket (`<id>.csv`, Athena's OutputLocation) and pages are
 * read back from it. Queries run on an in-memory DuckDB whose schemas and
 * views mirror the catalog, reading ONLY registered partitions (as Athena
 * sees only registered partitions); it is built once per catalog version and
 * database, and replaced when the catalog changes. Once the views exist, file
 * access is switched off except for the curated tables' folders and the
 * configuration is locked, and only a single prepared SELECT runs, parameters
 * bound, never spliced: a query cannot read the raw or dropzone buckets, or
 * write anything.
 */
import { DuckDBInstance, StatementType } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBValue } from '@duckdb/node-api';
import { parse } from 'csv-parse/sync';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  Catalog,
  CatalogTable,
  PartitionInput,
  QueryEngine,
  QueryParameter,
  QueryResultPage,
  QueryStatus,
  StartQueryOptions,
} from '../../ports';
import type { LakeNames } from '../../ports';
import { parseS3Uri } from '../../lake/keys';
import { readObjectText } from '../../lake/objects';
import { sqlIdentifier as ident, sqlString as literal } from '../../formats/parquet';
import { describeError, errorCode, errorMessage, readJsonIfExists, writeFileAtomic } from './files';
import type { LocalObjectStore } from './object-store';

/** No query with that id (Athena's InvalidRequestException). */
export class QueryNotFoundError extends Error {
  override name = 'QueryNotFoundError';
}

/** Results were asked for before the query succeeded, or with a bad page request. */
export class QueryResultsUnavailableError extends Error {
  override name = 'QueryResultsUnavailableError';
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

interface ResultMetadata {
  columns: { name: string; type: string }[];
  rows: number;
}

const MAX_PAGE = 1000;
const MAX_CACHED_RESULTS = 16;
const MAX_CACHED_ROWS = 200_000;

interface CachedResult {
  columns: ResultMetadata['columns'];
  /** The header row, then the data rows, as Athena's CSV holds them. */
  all: (string | null)[][];
}

/** Glue/Hive column types as DuckDB types, for the empty view of a table with no partitions yet. */
function duckType(glueType: string): string {
  const type = glueType.trim().toLowerCase();
  const decimal = /^decimal\((\d+)\s*,\s*(\d+)\)$/.exec(type);
  if (decimal !== null) return `DECIMAL(${decimal[1]},${decimal[2]})`;
  const map: Record<string, string> = {
    string: 'VARCHAR',
    varchar: 'VARCHAR',
    char: 'VARCHAR',
    bigint: 'BIGINT',
    int: 'INTEGER',
    integer: 'INTEGER',
    smallint: 'SMALLINT',
    tinyint: 'TINYINT',
    double: 'DOUBLE',
    float: 'FLOAT',
    boolean: 'BOOLEAN',
    timestamp: 'TIMESTAMP',
    date: 'DATE',
    binary: 'BLOB',
  };
  return map[type] ?? 'VARCHAR';
}

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
  const statuses = new Map<string, QueryStatus>();
  const running = new Set<Promise<void>>();

  const statusPath = (id: string) => join(statusDir, `${id}.json`);
  async function save(status: QueryStatus): Promise<void> {
    // On disk first: a status this process shows must be one other processes can read too.
    await writeFileAtomic(tmpDir, statusPath(status.id), JSON.stringify(status));
    statuses.set(status.id, status);
  }

  /** `s3://bucket/prefix/` of a registered partition as its local folder. */
  function localFolder(location: string): string | undefined {
    const uri = parseS3Uri(location);
    if (uri === undefined) return undefined;
    const { bucket } = uri;
    const segments = uri.key.split('/').filter((s) => s !== '');
    if (segments.some((s) => s === '.' || s === '..')) return undefined;
    return join(deps.store.bucketPath(bucket), ...segments);
  }

  async function hasParquet(folder: string): Promise<boolean> {
    try {
      return (await readdir(folder)).some((name) => name.endsWith('.parquet'));
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return false;
      throw error;
    }
  }

  /** Every file under a projected table's location: Athena derives the partitions from the path instead of the catalog. */
  async function projectedJsonView(name: string, table: CatalogTable, allowed: string[]): Promise<string | undefined> {
    const folder = localFolder(table.StorageDescriptor.Location);
    if (folder === undefined) return undefined;
    let hasFiles = false;
    try {
      hasFiles = (await readdir(folder, { recursive: true })).some((file) => String(file).endsWith('.json'));
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
    if (!hasFiles) return undefined;
    allowed.push(`${folder}/`);
    const columns = table.StorageDescriptor.Columns.map((c) => `${literal(c.Name)}: ${literal(duckType(c.Type))}`).join(
      ', ',
    );
    const hiveTypes = table.PartitionKeys.map((k) => `${literal(k.Name)}: VARCHAR`).join(', ');
    return `CREATE OR REPLACE VIEW ${name} AS SELECT * FROM read_json(${literal(join(folder, '*', '*.json'))}, format = 'newline_delimited', hive_partitioning = true, hive_types = {${hiveTypes}}, columns = {${columns}})`;
  }

  /** The view over a table's registered partitions (only those that hold Parquet files yet), or a projected JSON table's files. */
  async function viewSql(
    connection: DuckDBConnection,
    database: string,
    table: CatalogTable,
    partitions: PartitionInput[],
    allowed: string[],
  ): Promise<string> {
    const name = `${ident(database)}.${ident(table.Name)}`;
    if (table.Parameters['projection.enabled'] === 'true' && table.Parameters.classification === 'json') {
      const view = await projectedJsonView(name, table, allowed);
      if (view !== undefined) return view;
      partitions = [];
    }
    const folders: string[] = [];
    for (const partition of partitions) {
      const folder = localFolder(partition.StorageDescriptor.Location);
      if (folder !== undefined && (await hasParquet(folder))) folders.push(folder);
    }
    if (folders.length === 0) {
      const columns = [
        ...table.StorageDescriptor.Columns,
        ...table.PartitionKeys.map((k) => ({ ...k, Type: 'string' })),
      ];
      const select =
        columns.length === 0
          ? 'NULL AS _empty'
          : columns.map((c) => `CAST(NULL AS ${duckType(c.Type)}) AS ${ident(c.Name)}`).join(', ');
      return `CREATE OR REPLACE VIEW ${name} AS SELECT ${select} WHERE false`;
    }
    // One allowed folder per table, not per partition: DuckDB checks every file against each (measured: ~100 ms a query at 730 partitions).
    // The views still read registered partitions only; a partition kept outside its table's folder is allowed on its own.
    const tableFolder = localFolder(table.StorageDescriptor.Location);
    if (tableFolder !== undefined) allowed.push(`${tableFolder}/`);
    allowed.push(
      ...folders.filter((f) => tableFolder === undefined || !`${f}/`.startsWith(`${tableFolder}/`)).map((f) => `${f}/`),
    );
    const globs = folders.map((f) => literal(join(f, '*.parquet'))).join(', ');
    const hiveTypes = table.PartitionKeys.map((k) => `${literal(k.Name)}: VARCHAR`).join(', ');
    const source = `read_parquet([${globs}], hive_partitioning = true, hive_types = {${hiveTypes}}, union_by_name = true)`;
    // As Athena reads through the catalog: every catalog column, null where no file has it yet (a column a contract added).
    const inFiles = new Set(
      (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRows().map((row) => String(row[0])),
    );
    const projection = [...table.StorageDescriptor.Columns, ...table.PartitionKeys]
      .map((c) => (inFiles.has(c.Name) ? ident(c.Name) : `CAST(NULL AS ${duckType(c.Type)}) AS ${ident(c.Name)}`))
      .join(', ');
    return `CREATE OR REPLACE VIEW ${name} AS SELECT ${projection} FROM ${source}`;
  }

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

  interface ViewedInstance {
    key: string;
    instance: DuckDBInstance;
    users: number;
    retired: boolean;
  }
  let current: { key: string; ready: Promise<ViewedInstance> } | undefined;

  /** A DuckDB holding every catalog table as a view (the default database's also unqualified), file access then locked down. */
  async function buildInstance(key: string, database: string): Promise<ViewedInstance> {
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    try {
      const connection = await instance.connect();
      try {
        const allowed: string[] = [];
        for (const db of await deps.catalog.listDatabases()) {
          await connection.run(`CREATE SCHEMA IF NOT EXISTS ${ident(db)}`);
          for (const table of await deps.catalog.listTables(db)) {
            const partitions = await deps.catalog.listPartitions(db, table.Name);
            await connection.run(await viewSql(connection, db, table, partitions, allowed));
            // Unqualified names resolve to the query's database, as Athena's QueryExecutionContext does.
            if (db === database)
              await connection.run(
                `CREATE OR REPLACE VIEW main.${ident(table.Name)} AS SELECT * FROM ${ident(db)}.${ident(table.Name)}`,
              );
          }
        }
        // From here on DuckDB may read the registered partition folders and nothing else, and no query can undo that.
        await connection.run(`SET allowed_directories = [${allowed.map(literal).join(', ')}]`);
        await connection.run('SET enable_external_access = false');
        await connection.run('SET lock_configuration = true');
      } finally {
        connection.closeSync();
      }
    } catch (error) {
      instance.closeSync();
      throw error;
    }
    return { key, instance, users: 0, retired: false };
  }

  function release(viewed: ViewedInstance): void {
    viewed.users--;
    if (viewed.retired && viewed.users === 0) viewed.instance.closeSync();
  }

  /** The instance for the catalog as it is now; a changed catalog gets a new one, and the old one closes when its last query ends. */
  async function acquire(database: string): Promise<ViewedInstance> {
    const version = deps.catalog.version !== undefined ? await deps.catalog.version() : randomUUID();
    const key = `${database}\n${version}`;
    if (current?.key !== key) {
      const previous = current;
      current = { key, ready: buildInstance(key, database) };
      current.ready.catch(() => {
        if (current?.key === key) current = undefined;
      });
      void previous?.ready.then(
        (old) => {
          old.retired = true;
          if (old.users === 0) old.instance.closeSync();
        },
        () => undefined,
      );
    }
    const viewed = await current.ready;
    viewed.users++;
    return viewed;
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
    const viewed = await acquire(options.database ?? deps.names.databases.curated);
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
        const columns = reader
          .columnNames()
          .map((name, i) => ({ name, type: athenaType(String(reader.columnType(i))) }));
        const rows = reader.getRows();
        const all = [columns.map((c) => c.name), ...rows.map((row) => row.map(cell))];
        await deps.store.put(resultsBucket, `${id}.csv`, `${all.map(csvLine).join('\n')}\n`, {
          contentType: 'text/csv',
        });
        const metadata: ResultMetadata = { columns, rows: rows.length };
        await deps.store.put(resultsBucket, `${id}.csv.metadata`, JSON.stringify(metadata), {
          contentType: 'application/json',
        });
        remember(id, { columns, all });
      } finally {
        connection.closeSync();
      }
    } finally {
      release(viewed);
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
      const readText = (key: string) => readObjectText(deps.store, resultsBucket, key);
      let result = recentResults.get(id);
      if (result === undefined) {
        const metadata = JSON.parse(await readText(`${id}.csv.metadata`)) as ResultMetadata;
        const all = parse(await readText(`${id}.csv`), {
          relax_column_count: false,
          cast: (value, context) => (context.quoting ? value : value === '' ? null : value),
        }) as (string | null)[][];
        result = { columns: metadata.columns, all };
        remember(id, result);
      }
      const { columns, all } = result;
      // As in Athena, the first row of the first page is the header row.
      const rows = all.slice(offset, offset + pageSize);
      const page: QueryResultPage = { columns, rows };
      if (offset + pageSize < all.length)
        page.nextToken = Buffer.from(`${id}:${offset + pageSize}`, 'utf8').toString('base64url');
      return page;
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    inFlight: () => running.size,
    async close() {
      while (running.size > 0) await Promise.allSettled([...running]);
      const last = current;
      current = undefined;
      const viewed = await last?.ready.catch(() => undefined);
      if (viewed !== undefined) {
        viewed.retired = true;
        if (viewed.users === 0) viewed.instance.closeSync();
      }
    },
  };
}
