/**
 * Database connector files: a `postgres` pull (a table or a query read by a
 * cursor column with keyset paging) and a `postgres-cdc` follower (logical
 * replication from a publication). Checked at load like the REST connectors:
 * every problem is named before a connection is opened, and credentials are
 * only ever named (a secret), never written in the file.
 */
import type { DatasetContract } from '../datasets/contract';
import { DATASETS, findContract } from '../datasets/registry';
import { parseScheduleExpression } from '../schedules/schedule-expressions';

export const DATABASE_CONNECTOR_KINDS = ['postgres', 'postgres-cdc'] as const;
export type DatabaseConnectorKind = (typeof DATABASE_CONNECTOR_KINDS)[number];

const CONNECTOR_NAME = /^[a-z0-9][a-z0-9-]{1,62}$/;
const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_./-]{0,199}$/;
/** A plain SQL identifier; quoted when used, so case is kept and nothing can be spliced. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const HOST = /^[A-Za-z0-9.-]{1,253}$|^\[?[0-9A-Fa-f:.]{2,45}\]?$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * How the connection is protected: `verify-full` checks the server's
 * certificate and name (against `caSecret`, a PEM kept as a secret, or the
 * system roots); `require` encrypts without checking who answers; `disable`
 * only to this machine.
 */
export type DatabaseTls = { mode: 'disable' } | { mode: 'require' } | { mode: 'verify-full'; caSecret?: string };

export interface DatabaseConnection {
  host: string;
  port: number;
  database: string;
  /** A role granted SELECT only (and REPLICATION for CDC); the session is read-only whatever the role may do. */
  user: string;
  /** The name of the secret holding the password. */
  passwordSecret: string;
  tls: DatabaseTls;
}

export interface DatabaseLimits {
  /** Rows one run may read; the run checkpoints after the page that reaches it and the next run continues. */
  maxRowsPerRun: number;
  /** Each statement is cancelled by the server after this long. */
  statementTimeoutSeconds: number;
  connectTimeoutSeconds: number;
  /** A run checkpoints and stops after this long. */
  runTimeoutSeconds: number;
}

export const DEFAULT_DATABASE_LIMITS: DatabaseLimits = {
  maxRowsPerRun: 100_000,
  statementTimeoutSeconds: 30,
  connectTimeoutSeconds: 10,
  runTimeoutSeconds: 240,
};

interface DatabaseCommon {
  name: string;
  schedule: string;
  dataset: string;
  connection: DatabaseConnection;
  limits: DatabaseLimits;
  /** Rows per page: each page lands as one raw object before the connector's position moves. */
  pageSize: number;
  /** Contract column (or unit column) -> the source column it reads, or a constant. */
  mapping: Record<string, string | { const: string | number }>;
}

export interface PostgresPullConfig extends DatabaseCommon {
  kind: 'postgres';
  /** What is read: a table (`schema.table`) or a SELECT, never both. */
  source: { table: string } | { query: string };
  /**
   * The change timestamp read incrementally (a timestamptz, or a timestamp read
   * as UTC; rows where it is NULL are never read). Without `start` the first run
   * is a full snapshot; each later run re-reads `lookbackMinutes` behind the cursor.
   */
  cursor: { column: string; start?: string; lookbackMinutes: number };
  /** Columns unique per row with the cursor: the keyset that orders pages with no row skipped or read twice. */
  key: string[];
}

export interface PostgresCdcConfig extends DatabaseCommon {
  kind: 'postgres-cdc';
  /** The publication whose tables are followed (CREATE PUBLICATION ... FOR TABLE ...). */
  publication: string;
  /** The logical replication slot the connector owns; created with pgoutput on its first run. */
  slot: string;
  /** The source's key columns, recorded with each tombstone (from the old row: REPLICA IDENTITY). */
  key: string[];
  /** A slot holding back more WAL than this is reported in the run's reason. */
  maxLagBytes: number;
}

export type DatabaseConnectorConfig = PostgresPullConfig | PostgresCdcConfig;

export function isDatabaseConnectorKind(kind: unknown): kind is DatabaseConnectorKind {
  return (DATABASE_CONNECTOR_KINDS as readonly unknown[]).includes(kind);
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Collects every problem of a file instead of stopping at the first. */
class Problems {
  readonly list: string[] = [];
  fail(message: string): undefined {
    this.list.push(message);
    return undefined;
  }
  string(from: Json, field: string, label: string, pattern?: RegExp): string | undefined {
    const value = from[field];
    if (typeof value !== 'string' || value.trim() === '') return this.fail(`${label} must be a non-empty string`);
    if (pattern !== undefined && !pattern.test(value))
      return this.fail(`${label} ${JSON.stringify(value.slice(0, 80))} must match ${pattern.source}`);
    return value;
  }
  int(from: Json, field: string, label: string, min: number, max: number, fallback?: number): number | undefined {
    const value = from[field] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      return this.fail(`${label} must be a whole number ${min}..${max}`);
    return value;
  }
  identifiers(from: Json, field: string, label: string): string[] | undefined {
    const value = from[field];
    if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || !IDENTIFIER.test(v)))
      return this.fail(`${label} must be a non-empty list of column names (letters, digits, _)`);
    return value as string[];
  }
}

function checkConnection(p: Problems, raw: unknown): DatabaseConnection | undefined {
  if (!isObject(raw)) return p.fail('connection must be an object with host, port, database, user and password');
  const host = p.string(raw, 'host', 'connection.host', HOST);
  const port = p.int(raw, 'port', 'connection.port', 1, 65_535, 5432);
  const database = p.string(raw, 'database', 'connection.database', IDENTIFIER);
  const user = p.string(raw, 'user', 'connection.user', IDENTIFIER);
  const password = raw.password;
  const passwordSecret =
    typeof password === 'string' && SECRET_NAME.test(password)
      ? password
      : p.fail(
          'connection.password must be the name of a secret (letters, digits, . _ / -), never the password itself',
        );
  const tlsRaw = raw.tls ?? { mode: 'verify-full' };
  let tls: DatabaseTls | undefined;
  if (!isObject(tlsRaw)) tls = p.fail('connection.tls must be an object');
  else if (tlsRaw.mode === 'disable') {
    tls = { mode: 'disable' };
    if (host !== undefined && !LOOPBACK.has(host))
      p.fail(
        'connection.tls.mode disable is only allowed to 127.0.0.1 or localhost: credentials never cross a network in clear',
      );
  } else if (tlsRaw.mode === 'require') tls = { mode: 'require' };
  else if (tlsRaw.mode === 'verify-full') {
    const ca = tlsRaw.caSecret;
    if (ca !== undefined && (typeof ca !== 'string' || !SECRET_NAME.test(ca)))
      tls = p.fail('connection.tls.caSecret must be the name of a secret holding the CA certificate (PEM)');
    else tls = { mode: 'verify-full', ...(ca !== undefined ? { caSecret: ca } : {}) };
  } else tls = p.fail('connection.tls.mode must be verify-full, require or disable');
  if ([host, port, database, user, passwordSecret, tls].some((v) => v === undefined)) return undefined;
  return { host, port, database, user, passwordSecret, tls } as DatabaseConnection;
}

function checkLimits(p: Problems, raw: unknown): DatabaseLimits | undefined {
  if (raw !== undefined && !isObject(raw)) return p.fail('limits must be an object');
  const r = raw ?? {};
  const d = DEFAULT_DATABASE_LIMITS;
  const limits = {
    maxRowsPerRun: p.int(r, 'maxRowsPerRun', 'limits.maxRowsPerRun', 1, 100_000_000, d.maxRowsPerRun),
    statementTimeoutSeconds: p.int(
      r,
      'statementTimeoutSeconds',
      'limits.statementTimeoutSeconds',
      1,
      900,
      d.statementTimeoutSeconds,
    ),
    connectTimeoutSeconds: p.int(
      r,
      'connectTimeoutSeconds',
      'limits.connectTimeoutSeconds',
      1,
      120,
      d.connectTimeoutSeconds,
    ),
    runTimeoutSeconds: p.int(r, 'runTimeoutSeconds', 'limits.runTimeoutSeconds', 1, 900, d.runTimeoutSeconds),
  };
  return Object.values(limits).every((v) => v !== undefined) ? (limits as DatabaseLimits) : undefined;
}

function checkMapping(p: Problems, raw: unknown, contract: DatasetContract | undefined): DatabaseCommon['mapping'] {
  const mapping: DatabaseCommon['mapping'] = {};
  if (!isObject(raw)) return p.fail('mapping must be an object of contract column -> source column') ?? mapping;
  if (contract === undefined) return mapping;
  const allowed = new Set(
    contract.columns.flatMap((c) => [c.name, ...(c.unitColumn !== undefined ? [c.unitColumn] : [])]),
  );
  for (const [column, source] of Object.entries(raw)) {
    if (!allowed.has(column)) p.fail(`mapping names ${column}, which is not a column of ${contract.name}`);
    else if (typeof source === 'string' && source.trim() !== '') mapping[column] = source;
    else if (isObject(source) && (typeof source.const === 'string' || typeof source.const === 'number'))
      mapping[column] = { const: source.const };
    else p.fail(`mapping.${column} must be a source column name or {"const": value}`);
  }
  for (const column of contract.columns)
    if (column.required === true && mapping[column.name] === undefined)
      p.fail(`mapping has no source for ${column.name}, which ${contract.name} requires`);
  return mapping;
}

function checkPullSource(p: Problems, raw: Json): PostgresPullConfig['source'] | undefined {
  if ((raw.table === undefined) === (raw.query === undefined)) return p.fail('give either table or query, not both');
  if (raw.table !== undefined) {
    const table = p.string(raw, 'table', 'table');
    if (table !== undefined && !table.split('.').every((part) => IDENTIFIER.test(part)))
      return p.fail('table must be a table name, optionally schema-qualified (schema.table)');
    return table === undefined ? undefined : { table };
  }
  const query = p.string(raw, 'query', 'query');
  if (query === undefined) return undefined;
  if (!/^\s*(select|with)\b/i.test(query)) return p.fail('query must be one SELECT (or WITH ... SELECT) statement');
  if (query.includes(';')) return p.fail('query must be one statement, with no semicolon');
  return { query };
}

function checkCursor(p: Problems, raw: unknown): PostgresPullConfig['cursor'] | undefined {
  if (!isObject(raw)) return p.fail('cursor must be an object with column and lookbackMinutes');
  const column = p.string(raw, 'column', 'cursor.column', IDENTIFIER);
  const lookbackMinutes = p.int(raw, 'lookbackMinutes', 'cursor.lookbackMinutes', 0, 7 * 24 * 60, 0);
  const start = raw.start;
  if (start !== undefined && (typeof start !== 'string' || Number.isNaN(Date.parse(start))))
    return p.fail('cursor.start must be an ISO 8601 datetime, or left out for a first full snapshot');
  if (column === undefined || lookbackMinutes === undefined) return undefined;
  return { column, lookbackMinutes, ...(typeof start === 'string' ? { start: new Date(start).toISOString() } : {}) };
}

/**
 * Checks one database connector file's parsed JSON (`kind` postgres or postgres-cdc). Throws an Error subclass listing every problem, built by
 * `fail` so it is the same error type as the other connector files'.
 */
export function parseDatabaseConnectorConfig(
  raw: Json,
  expectedName: string | undefined,
  fail: (problems: string[]) => Error,
): DatabaseConnectorConfig {
  const p = new Problems();
  const name = p.string(raw, 'name', 'name', CONNECTOR_NAME);
  if (name !== undefined && expectedName !== undefined && name !== expectedName)
    p.fail(`name ${name} must match the file name (${expectedName}.json): one file per source`);
  const schedule = p.string(raw, 'schedule', 'schedule');
  if (schedule !== undefined) {
    try {
      parseScheduleExpression(schedule);
    } catch (error) {
      p.fail(error instanceof Error ? error.message : 'schedule is not a rate() or cron() expression');
    }
  }
  const dataset = p.string(raw, 'dataset', 'dataset');
  const contract = dataset === undefined ? undefined : findContract(dataset);
  if (dataset !== undefined && contract === undefined)
    p.fail(`dataset ${dataset} is not a known dataset contract (known: ${DATASETS.map((d) => d.name).join(', ')})`);
  const common = {
    name,
    schedule,
    dataset,
    connection: checkConnection(p, raw.connection),
    limits: checkLimits(p, raw.limits),
    pageSize: p.int(raw, 'pageSize', 'pageSize', 1, 100_000, 1000),
    mapping: checkMapping(p, raw.mapping, contract),
  };
  const key = p.identifiers(raw, 'key', 'key');
  let config: DatabaseConnectorConfig;
  if (raw.kind === 'postgres') {
    const source = checkPullSource(p, raw);
    const cursor = checkCursor(p, raw.cursor);
    config = { ...common, kind: 'postgres', source, cursor, key } as PostgresPullConfig;
  } else {
    const publication = p.string(raw, 'publication', 'publication', IDENTIFIER);
    const slot = p.string(raw, 'slot', 'slot', /^[a-z0-9_]{1,63}$/);
    const maxLagBytes = p.int(raw, 'maxLagBytes', 'maxLagBytes', 1, Number.MAX_SAFE_INTEGER, 1024 ** 3);
    config = { ...common, kind: 'postgres-cdc', publication, slot, key, maxLagBytes } as PostgresCdcConfig;
  }
  if (p.list.length > 0) throw fail(p.list);
  return config;
}
