/**
 * What a named query is: a versioned problem statement with typed parameters,
 * typed result columns and SQL over LOGICAL tables only (`{{vitals}}`). The
 * platform, not the query author, turns each logical table into a deduplicated,
 * partner-scoped subquery (see render.ts), so a query that names a physical
 * table or reads files would bypass scoping: defineNamedQuery refuses it.
 */
import { type DateSpanRule, type ParameterSpec, parameterProblem } from './parameters';
import { checkQueryText, logicalTables, parameterNames } from './query-text';

/** How a logical table is narrowed INSIDE its dedupe subquery (see NamedQuery.prune). */
export interface Prune {
  /** Date parameters bounding the `dt` partitions read. */
  from: string;
  to: string;
  /**
   * Dedupe-key columns matched to a string parameter when the caller gives it
   * (`{ patient_token: 'patient_token' }`): the dedupe window then ranks one
   * patient's rows, not every patient's. Sound because every version of a
   * record shares its key.
   */
  keys?: Readonly<Record<string, string>>;
}

export type ResultType = 'varchar' | 'bigint' | 'double' | 'date' | 'timestamp' | 'boolean';

export interface ResultColumn {
  name: string;
  type: ResultType;
  description: string;
}

export interface NamedQuery {
  name: string;
  version: number;
  title: string;
  /** The question the query answers, as a partner would ask it. */
  problem: string;
  parameters: readonly ParameterSpec[];
  rules?: readonly DateSpanRule[];
  columns: readonly ResultColumn[];
  /** SQL in the common subset of Trino and DuckDB: tables as `{{dataset}}`, parameters as `:name`. */
  sql: string;
  /**
   * Partition pruning: restricts a logical table's `dt` partitions to the range of two date
   * parameters INSIDE the dedupe subquery, so Athena scans only those partitions.
   */
  prune?: Readonly<Record<string, Prune>>;
  /**
   * Result columns that count patients: a cell under the small-cell threshold
   * would point at identifiable people, so it is blanked and reported.
   */
  suppress?: { columns: readonly string[] };
}

/** A named query whose definition is unsafe or inconsistent; thrown when queries are registered. */
export class NamedQueryDefinitionError extends Error {
  override name = 'NamedQueryDefinitionError';
  constructor(
    readonly query: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`named query ${query}: ${problems.join('; ')}`, options);
  }
}

const NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Validates a named query's definition and freezes it. Throws
 * NamedQueryDefinitionError listing every problem: unsafe SQL (see
 * checkQueryText), parameters used but not declared or declared but unused,
 * bad names, rules or pruning over undeclared parameters.
 */
export function defineNamedQuery(query: NamedQuery): Readonly<NamedQuery> {
  const problems = checkQueryText(query.sql);
  if (!NAME.test(query.name)) problems.push(`name ${query.name} must be snake_case`);
  if (!Number.isInteger(query.version) || query.version < 1) problems.push('version must be a positive integer');
  const declared = new Map(query.parameters.map((p) => [p.name, p]));
  if (declared.size !== query.parameters.length) problems.push('a parameter is declared twice');
  const used = parameterNames(query.sql);
  for (const name of used) if (!declared.has(name)) problems.push(`:${name} is used but not declared`);
  for (const spec of query.parameters) {
    if (!NAME.test(spec.name)) problems.push(`parameter ${spec.name} must be snake_case`);
    if (!used.includes(spec.name)) problems.push(`parameter ${spec.name} is declared but not used`);
    if (spec.type === 'string' && spec.pattern === undefined && spec.allowed === undefined) {
      problems.push(`string parameter ${spec.name} needs a pattern or allowed values`);
    }
    if (spec.default !== undefined) {
      const problem = parameterProblem(spec, spec.default);
      if (problem !== undefined) problems.push(`default of ${problem}`);
      if (spec.required === true) problems.push(`parameter ${spec.name} is required, so its default would never apply`);
    }
    if (spec.type === 'string' && spec.pattern !== undefined) {
      try {
        new RegExp(spec.pattern);
      } catch (error) {
        problems.push(
          `parameter ${spec.name} pattern does not compile: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
  const isDate = (name: string) => declared.get(name)?.type === 'date';
  for (const rule of query.rules ?? []) {
    if (!isDate(rule.from) || !isDate(rule.to))
      problems.push(`date_span rule ${rule.from}..${rule.to} must name two date parameters`);
  }
  const tables = logicalTables(query.sql);
  if (tables.length === 0) problems.push('the query reads no logical table');
  for (const [table, range] of Object.entries(query.prune ?? {})) {
    if (!tables.includes(table)) problems.push(`prune names ${table}, which the query does not read`);
    if (!isDate(range.from) || !isDate(range.to)) problems.push(`prune on ${table} must name two date parameters`);
    if (declared.get(range.from)?.required !== true || declared.get(range.to)?.required !== true)
      problems.push(`prune on ${table} needs required date parameters`);
    for (const [column, parameter] of Object.entries(range.keys ?? {})) {
      if (!NAME.test(column)) problems.push(`prune on ${table} names column ${column}, which is not a plain name`);
      if (declared.get(parameter)?.type !== 'string')
        problems.push(`prune on ${table} matches ${column} to ${parameter}, which is not a declared string parameter`);
    }
  }
  const columns = new Set(query.columns.map((c) => c.name));
  if (columns.size !== query.columns.length || columns.size === 0)
    problems.push('result columns must be declared once each');
  for (const name of query.suppress?.columns ?? []) {
    if (query.columns.find((c) => c.name === name)?.type !== 'bigint')
      problems.push(`suppress names ${name}, which is not a bigint result column`);
  }
  if (problems.length > 0) throw new NamedQueryDefinitionError(query.name, problems);
  return Object.freeze({ ...query });
}
