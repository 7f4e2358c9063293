/**
 * A curated lake in a temp folder for named-query tests: REAL Parquet laid out
 * as the normalizer lays it out (hive partitions site/dt, one part file per
 * source file), views created as the local engine creates them, and rendered
 * SQL run as a prepared statement with bound parameters.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { curatedColumns, type ColumnType, type DatasetContract } from '../../../src/datasets/contract';
import type { QueryParameter } from '../../../src/ports';

export const token = (name: string) => createHash('sha256').update(name).digest('hex');
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
const DUCK_TYPES: Record<ColumnType, string> = {
  string: 'VARCHAR',
  integer: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
};

export type Row = Record<string, string | number | boolean | null>;

export interface ScratchLake {
  readonly database: string;
  readonly connection: DuckDBConnection;
  /** Creates a scratch table with the contract's curated columns plus site and dt (rows inserted with SQL). */
  createScratch(contract: DatasetContract): Promise<string>;
  /** Writes the scratch table as part files, one per (source file, site, dt), drops it, and creates the view. */
  writeParts(table: string, columns: string): Promise<void>;
  /**
   * Loads `rows` of `contract` in one step: unset lineage columns get a
   * default source file, line numbers in order and an ingest time; dt comes
   * from the event time when not given.
   */
  load(contract: DatasetContract, rows: Row[]): Promise<void>;
  run(sql: string, parameters: QueryParameter[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function createScratchLake(database: string): Promise<ScratchLake> {
  const home = await mkdtemp(join(tmpdir(), 'pulse-lake-query-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`CREATE SCHEMA ${database}`);

  async function createScratch(contract: DatasetContract): Promise<string> {
    const columns = curatedColumns(contract);
    await connection.run(
      `CREATE TABLE ${contract.name} (${columns.map((c) => `${c.name} ${DUCK_TYPES[c.type]}`).join(', ')}, site VARCHAR, dt VARCHAR)`,
    );
    return columns.map((c) => c.name).join(', ');
  }

  async function writeParts(table: string, columns: string): Promise<void> {
    const groups = await connection.runAndReadAll(`SELECT DISTINCT _source_hash, site, dt FROM ${table} ORDER BY ALL`);
    for (const [hash, site, dt] of groups.getRows() as [string, string, string][]) {
      const dir = join(home, 'curated', table, `site=${site}`, `dt=${dt}`);
      await mkdir(dir, { recursive: true });
      const path = join(dir, `part-${hash.slice(0, 16)}-0000.parquet`);
      await connection.run(
        `COPY (SELECT ${columns} FROM ${table} WHERE _source_hash = ${literal(hash)} AND site = ${literal(site)} AND dt = ${literal(dt)}) TO ${literal(path)} (FORMAT PARQUET)`,
      );
    }
    await connection.run(`DROP TABLE ${table}`);
    await connection.run(
      `CREATE VIEW ${database}.${table} AS SELECT * FROM read_parquet(${literal(join(home, 'curated', table, '**', '*.parquet'))}, hive_partitioning = true, hive_types = {'site': VARCHAR, 'dt': VARCHAR}, union_by_name = true)`,
    );
  }

  const sqlValue = (value: Row[string]) =>
    value === null ? 'NULL' : typeof value === 'string' ? literal(value) : String(value);

  return {
    database,
    connection,
    createScratch,
    writeParts,
    async load(contract, rows) {
      const columns = await createScratch(contract);
      const names = [...columns.split(', '), 'site', 'dt'];
      const eventTime = contract.eventTimeColumn;
      const values = rows.map((row, i) => {
        const full: Row = {
          _source_hash: token('scratch-file'),
          _source_line: i + 1,
          _ingested_at: '2020-01-01 00:00:00',
          ...row,
        };
        if (full.dt === undefined)
          full.dt =
            eventTime !== undefined && typeof full[eventTime] === 'string'
              ? String(full[eventTime]).slice(0, 10)
              : '2020-01-01';
        return `(${names.map((n) => sqlValue(full[n] ?? null)).join(', ')})`;
      });
      if (values.length > 0)
        await connection.run(`INSERT INTO ${contract.name} (${names.join(', ')}) VALUES ${values.join(',\n')}`);
      await writeParts(contract.name, columns);
    },
    async run(sql, parameters) {
      const statement = await connection.prepare(sql);
      if (statement.parameterCount !== parameters.length)
        throw new Error(`the SQL has ${statement.parameterCount} placeholders, ${parameters.length} values were given`);
      parameters.forEach((value, i) => {
        if (value === null) statement.bindNull(i + 1);
        else if (typeof value === 'string') statement.bindVarchar(i + 1, value);
        else if (typeof value === 'number') statement.bindDouble(i + 1, value);
        else statement.bindBoolean(i + 1, value);
      });
      const reader = await statement.runAndReadAll();
      return reader.getRowObjectsJson() as Record<string, unknown>[];
    },
    async close() {
      connection.closeSync();
      instance.closeSync();
      await rm(home, { recursive: true, force: true });
    },
  };
}
