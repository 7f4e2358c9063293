/**
 * The Glue Data Catalog as files: `$LAKE_HOME/catalog/<database>/<table>.json`
 * holds `{ Table, Partitions }` in Glue's own shapes, and
 * `$LAKE_HOME/catalog/<database>/.database.json` the database. Names are
 * lower-cased as Glue does. Updates of one table are serialized across
 * processes (lock file) and written atomically.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog, CatalogTable, PartitionInput } from '../../ports';
import { errorCode, readJsonIfExists, withFileLock, writeFileAtomic } from './files';

export interface CatalogTableFile {
  Table: CatalogTable;
  Partitions: PartitionInput[];
}

/** Glue's EntityNotFoundException. */
export class CatalogEntityNotFoundError extends Error {
  override name = 'CatalogEntityNotFoundError';
}

/** A database or table name Glue (or a folder) cannot hold. */
export class InvalidCatalogNameError extends Error {
  override name = 'InvalidCatalogNameError';
}

/** A partition whose values do not fit the table's partition keys (Glue's InvalidInputException). */
export class InvalidPartitionError extends Error {
  override name = 'InvalidPartitionError';
}

const NAME = /^[a-z0-9_][a-z0-9_-]{0,254}$/;
const DATABASE_FILE = '.database.json';

export interface LocalCatalog extends Catalog {
  /** The file that holds a table and its partitions (for tools and tests). */
  tablePath(database: string, table: string): string;
  /** Changes whenever a database, table or partition is written (from the files' sizes and times): what the query engine caches its views by. */
  version(): Promise<string>;
}

/** Builds the file-backed catalog rooted at `home` (LAKE_HOME). */
export function buildLocalCatalog(home: string, options: { now?: () => Date } = {}): LocalCatalog {
  const root = join(home, 'catalog');
  const tmpDir = join(home, 'tmp');
  const now = options.now ?? (() => new Date());

  const checked = (kind: string, name: string): string => {
    const lower = name.toLowerCase();
    if (!NAME.test(lower))
      throw new InvalidCatalogNameError(`${kind} name "${name}" must be 1-255 characters of a-z, 0-9, _ and -`);
    return lower;
  };
  const tablePath = (database: string, table: string) =>
    join(root, checked('database', database), `${checked('table', table)}.json`);
  const lockPath = (database: string, table: string) =>
    join(home, 'locks', 'catalog', checked('database', database), `${checked('table', table)}.lock`);

  async function readTable(database: string, table: string): Promise<CatalogTableFile | undefined> {
    return readJsonIfExists<CatalogTableFile>(tablePath(database, table));
  }
  async function requireDatabase(database: string): Promise<void> {
    const found = await readJsonIfExists(join(root, checked('database', database), DATABASE_FILE));
    if (found === undefined)
      throw new CatalogEntityNotFoundError(`database ${database} does not exist; create it with ensureDatabase first`);
  }
  const partitionKey = (values: readonly string[]) => JSON.stringify(values);

  return {
    tablePath,
    async ensureDatabase(name, description) {
      const database = checked('database', name);
      const path = join(root, database, DATABASE_FILE);
      await withFileLock(join(home, 'locks', 'catalog', `${database}.lock`), async () => {
        const existing = await readJsonIfExists<{ Name: string; Description?: string; CreateTime: string }>(path);
        if (existing !== undefined && (description === undefined || existing.Description === description)) return;
        const record = {
          Name: database,
          CreateTime: existing?.CreateTime ?? now().toISOString(),
          ...(description === undefined ? {} : { Description: description }),
        };
        await writeFileAtomic(tmpDir, path, JSON.stringify(record, null, 2));
      });
    },
    async upsertTable(database, table) {
      await requireDatabase(database);
      const name = checked('table', table.Name);
      await withFileLock(lockPath(database, name), async () => {
        const existing = await readTable(database, name);
        const record: CatalogTableFile = {
          Table: {
            ...structuredClone(table),
            Name: name,
            DatabaseName: checked('database', database),
            UpdateTime: now().toISOString(),
          },
          Partitions: existing?.Partitions ?? [],
        };
        await writeFileAtomic(tmpDir, tablePath(database, name), JSON.stringify(record, null, 2));
      });
    },
    async getTable(database, name) {
      return (await readTable(database, name))?.Table;
    },
    async deleteTable(database, name) {
      await withFileLock(lockPath(database, name), async () => rm(tablePath(database, name), { force: true }));
    },
    async listTables(database) {
      const dir = join(root, checked('database', database));
      let files: string[];
      try {
        files = await readdir(dir);
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return [];
        throw error;
      }
      const tables: CatalogTable[] = [];
      for (const file of files.filter((f) => f.endsWith('.json') && f !== DATABASE_FILE).sort()) {
        const record = await readJsonIfExists<CatalogTableFile>(join(dir, file));
        if (record !== undefined) tables.push(record.Table);
      }
      return tables;
    },
    async version() {
      await mkdir(root, { recursive: true });
      const parts: string[] = [];
      for (const entry of (await readdir(root, { withFileTypes: true }))
        .filter((e) => e.isDirectory())
        .sort((x, y) => x.name.localeCompare(y.name))) {
        for (const file of (await readdir(join(root, entry.name))).sort()) {
          try {
            const info = await stat(join(root, entry.name, file));
            parts.push(`${entry.name}/${file}:${info.size}:${info.mtimeMs}`);
          } catch (error) {
            // Replaced while listed (atomic rename): the next call sees the new file.
            if (errorCode(error) !== 'ENOENT') throw error;
          }
        }
      }
      return parts.join('|');
    },
    async listDatabases() {
      await mkdir(root, { recursive: true });
      const entries = await readdir(root, { withFileTypes: true });
      const databases: string[] = [];
      for (const entry of entries) {
        if (entry.isDirectory() && (await readJsonIfExists(join(root, entry.name, DATABASE_FILE))) !== undefined)
          databases.push(entry.name);
      }
      return databases.sort();
    },
    async addPartitions(database, table, partitions: PartitionInput[]) {
      return withFileLock(lockPath(database, table), async () => {
        const existing = await readTable(database, table);
        if (existing === undefined)
          throw new CatalogEntityNotFoundError(
            `table ${database}.${table} does not exist; register it before adding partitions`,
          );
        const width = existing.Table.PartitionKeys.length;
        const known = new Set(existing.Partitions.map((p) => partitionKey(p.Values)));
        let created = 0;
        for (const partition of partitions) {
          if (partition.Values.length !== width) {
            throw new InvalidPartitionError(
              `partition (${partition.Values.join(', ')}) of ${database}.${table} needs ${width} values, one per partition key`,
            );
          }
          // Glue answers AlreadyExistsException per entry; the port tolerates it.
          if (known.has(partitionKey(partition.Values))) continue;
          known.add(partitionKey(partition.Values));
          existing.Partitions.push(structuredClone(partition));
          created += 1;
        }
        if (created > 0) await writeFileAtomic(tmpDir, tablePath(database, table), JSON.stringify(existing, null, 2));
        return { created };
      });
    },
    async listPartitions(database, table) {
      return (await readTable(database, table))?.Partitions ?? [];
    },
  };
}
