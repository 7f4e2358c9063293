/**
 * The DuckDB a local query runs on: an in-memory database whose schemas and
 * views mirror the catalog, reading ONLY registered partitions (as Athena sees
 * only registered partitions). It is built once per catalog version and
 * database, and replaced when the catalog changes. Once the views exist, file
 * access is switched off except for the curated tables' folders and the
 * configuration is locked: a query cannot read the raw or dropzone buckets.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog, CatalogTable, PartitionInput } from '../../ports';
import { parseS3Uri } from '../../lake/keys';
import { sqlIdentifier as ident, sqlString as literal } from '../../formats/parquet';
import { errorCode } from './files';
import type { LocalObjectStore } from './object-store';

/** A DuckDB holding the catalog's views, shared by the queries that run on it. */
export interface ViewedInstance {
  key: string;
  instance: DuckDBInstance;
  users: number;
  retired: boolean;
}

export interface CatalogViews {
  /** The instance for the catalog as it is now; a changed catalog gets a new one, and the old one closes when its last query ends. */
  acquire(database: string): Promise<ViewedInstance>;
  /** Ends one query's use of an instance. */
  release(viewed: ViewedInstance): void;
  /** Closes the current instance once its queries have released it. */
  close(): Promise<void>;
}

export interface CatalogViewsDeps {
  store: LocalObjectStore;
  /** With a version (the local catalog has one), the views are built once per catalog version instead of per query. */
  catalog: Catalog & { version?(): Promise<string> };
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

/** Builds the catalog's views on DuckDB, one instance per catalog version and database. */
export function createCatalogViews(deps: CatalogViewsDeps): CatalogViews {
  let current: { key: string; ready: Promise<ViewedInstance> } | undefined;

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

  return {
    acquire,
    release,
    async close() {
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
