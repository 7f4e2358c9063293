/**
 * Turns a named query into engine SQL. Each logical table `{{name}}` becomes a
 * subquery over the physical table `<curatedDatabase>.<name>` that
 * (1) keeps the latest version of each record (the contract's dedupe key,
 *     latest `_ingested_at` wins; ties broken by source hash and line so the
 *     choice is deterministic), and
 * (2) keeps only the calling partner's patients (rows whose patient_token
 *     belongs to a patient whose latest record carries the partner's id).
 * The partner id and every named-query parameter become positional `?`
 * placeholders with their values in order: bound by the engine, never spliced.
 */
import type { DatasetContract } from '../datasets/contract';
import { curatedColumns, curatedDedupeKey, LATEST_VERSION_ORDER } from '../datasets/contract';
import type { QueryParameter } from '../ports';
import { DIALECTS, type Dialect, type DialectName } from './dialect';
import type { NamedQuery } from './named-query';
import { validateParameters } from './parameters';
import { tokenize } from './sql-text';

/** Where partner ownership lives: the patients table maps patient tokens to partners. */
export const PARTNER_SCOPE = {
  table: 'patients',
  partnerColumn: 'partner_id',
  subjectColumn: 'patient_token',
} as const;

/** The partition columns every curated table has besides its Parquet columns. */
const PARTITION_COLUMNS = ['site', 'dt'] as const;
/** The helper column holding the dedupe row number; never reaches a named query. */
const ROW_NUMBER = '_pl_rn';

export interface RenderScope {
  /** The calling partner, as authenticated by the platform. */
  partnerId: string;
}

export interface RenderTarget {
  curatedDatabase: string;
  dialect: DialectName;
}

export interface RenderedQuery {
  sql: string;
  /** Values for the `?` placeholders, in order. */
  parameters: QueryParameter[];
  /** The validated named parameters (null for optional ones not given). */
  values: Record<string, QueryParameter>;
}

/** A named query that cannot be rendered against the lake's contracts (e.g. a table that cannot be partner-scoped). */
export class QueryScopeError extends Error {
  override name = 'QueryScopeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export type ContractLookup = (name: string) => DatasetContract | undefined;

interface Fragment {
  sql: string;
  parameters: QueryParameter[];
}

function columnsOf(contract: DatasetContract): string[] {
  return [...curatedColumns(contract).map((c) => c.name), ...PARTITION_COLUMNS];
}

/** `SELECT <columns> FROM (<columns>, row_number() ...) WHERE rn = 1 [AND <filter>]`: the latest version of each record. */
function deduped(
  dialect: Dialect,
  database: string,
  contract: DatasetContract,
  columns: readonly string[],
  where: Fragment | undefined,
  filter: Fragment,
): Fragment {
  const id = (name: string) => dialect.identifier(name);
  const all = columnsOf(contract);
  const key = curatedDedupeKey(contract).map(id).join(', ');
  const order = LATEST_VERSION_ORDER.map((c) => `${id(c)} DESC`).join(', ');
  const inner =
    `SELECT ${all.map(id).join(', ')}, row_number() OVER (PARTITION BY ${key} ORDER BY ${order}) AS ${id(ROW_NUMBER)} ` +
    `FROM ${dialect.table(database, contract.name)}${where === undefined ? '' : ` WHERE ${where.sql}`}`;
  return {
    sql: `SELECT ${dialect.projectWithout(columns, ROW_NUMBER)} FROM (${inner}) AS ${id(`${contract.name}_versions`)} WHERE ${id(ROW_NUMBER)} = 1 AND ${filter.sql}`,
    parameters: [...(where?.parameters ?? []), ...filter.parameters],
  };
}

/**
 * The latest version of every record of a curated table, as named queries read
 * it: for analysts and tests that want each reading once however often it landed.
 */
export function latestVersionsSql(dialectName: DialectName, database: string, contract: DatasetContract): string {
  return deduped(DIALECTS[dialectName], database, contract, columnsOf(contract), undefined, {
    sql: 'TRUE',
    parameters: [],
  }).sql;
}

/** The partner-scoped, deduplicated subquery standing for one logical table. */
function logicalTable(
  name: string,
  query: NamedQuery,
  values: Record<string, QueryParameter>,
  scope: RenderScope,
  target: RenderTarget,
  contracts: ContractLookup,
): Fragment {
  const dialect = DIALECTS[target.dialect];
  const id = (column: string) => dialect.identifier(column);
  const contract = contracts(name);
  if (contract === undefined)
    throw new QueryScopeError(`named query ${query.name} reads {{${name}}}, which is not a dataset of the lake`);
  if (contract.stage !== 'curated')
    throw new QueryScopeError(
      `named query ${query.name} reads {{${name}}}, a staging dataset; partners only see curated datasets`,
    );
  const patients = contracts(PARTNER_SCOPE.table);
  if (patients === undefined) throw new QueryScopeError(`no ${PARTNER_SCOPE.table} dataset: partner scoping needs it`);
  const patientColumns = columnsOf(patients);
  for (const column of [PARTNER_SCOPE.partnerColumn, PARTNER_SCOPE.subjectColumn]) {
    if (!patientColumns.includes(column))
      throw new QueryScopeError(`the ${PARTNER_SCOPE.table} dataset has no ${column} column: partner scoping needs it`);
  }
  const columns = columnsOf(contract);
  const partner: Fragment = { sql: `${id(PARTNER_SCOPE.partnerColumn)} = ?`, parameters: [scope.partnerId] };

  let filter: Fragment;
  if (contract.name === PARTNER_SCOPE.table) {
    filter = partner;
  } else {
    if (!columns.includes(PARTNER_SCOPE.subjectColumn)) {
      throw new QueryScopeError(
        `named query ${query.name} reads {{${name}}}, which has no ${PARTNER_SCOPE.subjectColumn} column, so it cannot be scoped to a partner`,
      );
    }
    const owned = deduped(dialect, target.curatedDatabase, patients, [PARTNER_SCOPE.subjectColumn], undefined, partner);
    filter = { sql: `${id(PARTNER_SCOPE.subjectColumn)} IN (${owned.sql})`, parameters: owned.parameters };
  }

  let where: Fragment | undefined;
  const prune = query.prune?.[name];
  if (prune !== undefined) {
    // Pruning below the dedupe window is only sound when every version of a record lies in the same dt partition.
    if (contract.eventTimeColumn === undefined || !contract.dedupeKey.includes(contract.eventTimeColumn)) {
      throw new QueryScopeError(
        `named query ${query.name} prunes {{${name}}} by dt, but its dedupe key does not include its event time, so versions of a record may sit in other partitions`,
      );
    }
    where = { sql: `${id('dt')} BETWEEN ? AND ?`, parameters: [values[prune.from] ?? null, values[prune.to] ?? null] };
    const dedupeKey = curatedDedupeKey(contract);
    for (const [column, parameter] of Object.entries(prune.keys ?? {})) {
      if (!dedupeKey.includes(column))
        throw new QueryScopeError(
          `named query ${query.name} narrows {{${name}}} by ${column} before deduplicating, but ${column} is not in its dedupe key`,
        );
      const value = values[parameter] ?? null;
      where = {
        sql: `${where.sql} AND (CAST(? AS VARCHAR) IS NULL OR ${id(column)} = ?)`,
        parameters: [...where.parameters, value, value],
      };
    }
  }
  const body = deduped(dialect, target.curatedDatabase, contract, columns, where, filter);
  return { sql: `(${body.sql})`, parameters: body.parameters };
}

/**
 * Renders a named query for one partner against contracts from `contracts`.
 * Validates the parameters first (throws ParameterError listing every
 * problem), then expands logical tables and turns `:name` into `?`.
 */
export function renderWithContracts(
  query: NamedQuery,
  params: Readonly<Record<string, string>>,
  scope: RenderScope,
  target: RenderTarget,
  contracts: ContractLookup,
): RenderedQuery {
  if (typeof scope.partnerId !== 'string' || scope.partnerId.trim() === '')
    throw new QueryScopeError('a query must be scoped to a partner: partnerId is empty');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(target.curatedDatabase))
    throw new QueryScopeError('curatedDatabase must be a plain database name');
  const values = validateParameters(query, params);
  const parts: string[] = [];
  const parameters: QueryParameter[] = [];
  for (const token of tokenize(query.sql)) {
    if (token.kind === 'placeholder') {
      const fragment = logicalTable(token.name ?? '', query, values, scope, target, contracts);
      parts.push(fragment.sql);
      parameters.push(...fragment.parameters);
    } else if (token.kind === 'parameter') {
      parts.push('?');
      parameters.push(values[token.name ?? ''] ?? null);
    } else {
      parts.push(token.text);
    }
  }
  return { sql: parts.join(''), parameters, values };
}
