/**
 * What a named query is: a versioned problem statement with typed parameters,
 * typed result columns and SQL over LOGICAL tables only (`{{vitals}}`). The
 * platform, not the query author, turns each logical table into a deduplicated,
 * partner-scoped subquery (see render.ts), so a query that names a physical
 * table or reads files would bypass scoping: defineNamedQuery refuses it.
 */
import { NON_PORTABLE_TOKENS } from './dialect';
import { parameterProblem } from './parameters';
import { significant, tokenize, type SqlToken } from './sql-text';

interface ParameterBase {
  name: string;
  description: string;
  required?: boolean;
  /** The value, as text, used when the caller gives none (checked like a caller's value when the query is defined). */
  default?: string;
}

export type ParameterSpec =
  | (ParameterBase & { type: 'date' })
  | (ParameterBase & { type: 'integer' | 'number'; min?: number; max?: number })
  | (ParameterBase & {
      type: 'string';
      /** Regular expression source the whole value must match (anchored by the validator). */
      pattern?: string;
      /** The pattern in words, for error messages ("64 lowercase hex characters"). */
      patternHint?: string;
      /** Allowed values (matched case-insensitively, bound as written here). */
      allowed?: readonly string[];
      maxLength?: number;
    });

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

/** A rule over two date parameters: `to` not before `from`, and at most `maxDays` apart. */
export interface DateSpanRule {
  kind: 'date_span';
  from: string;
  to: string;
  maxDays: number;
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

/** Words after which `(` opens a subquery or a list, not a function call's arguments. */
const GROUPING_KEYWORDS = new Set([
  'select',
  'from',
  'join',
  'in',
  'exists',
  'as',
  'on',
  'and',
  'or',
  'not',
  'where',
  'having',
  'when',
  'then',
  'else',
  'union',
  'intersect',
  'except',
  'all',
  'any',
  'some',
  'by',
  'with',
  'is',
  'between',
  'case',
  'lateral',
  'over',
  'like',
]);
/** Keywords that end a FROM clause's list of tables at the same nesting level. */
const CLAUSE_KEYWORDS = new Set([
  'where',
  'group',
  'order',
  'having',
  'limit',
  'offset',
  'union',
  'intersect',
  'except',
  'window',
  'on',
  'using',
  'select',
  'fetch',
]);
const JOIN_WORDS = new Set(['join']);
/** Functions that read files, the environment or other databases: never in a named query. */
const FORBIDDEN_FUNCTION =
  /^(read_\w*|\w*_scan|glob|getenv|current_setting|sniff_csv|query|query_table|iceberg_\w*|delta_\w*|sqlite_\w*|postgres_\w*|mysql_\w*|load|install|attach|copy|export_\w*|pragma_\w*|duckdb_\w*)$/i;

const NAME = /^[a-z][a-z0-9_]*$/;

interface Frame {
  kind: 'call' | 'group';
  /** Inside this frame's FROM clause, where `,` starts another table reference. */
  inFrom: boolean;
}

function isWord(token: SqlToken | undefined): boolean {
  return token !== undefined && (token.kind === 'word' || token.kind === 'quoted');
}

function lower(token: SqlToken | undefined): string {
  return token === undefined ? '' : token.text.toLowerCase();
}

/**
 * Checks query text: only `{{logical}}` tables (or this query's own CTEs) after
 * FROM/JOIN, no schema-qualified names, no file-reading functions, one
 * statement, no comments, no positional `?`, only the engines' common syntax.
 * Returns the problems found (empty when the text is acceptable).
 */
export function checkQueryText(sql: string): string[] {
  const problems: string[] = [];
  let tokens: SqlToken[];
  try {
    tokens = significant(tokenize(sql));
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
  if (tokenize(sql).some((t) => t.kind === 'comment')) problems.push('comments are not allowed in query text');
  const stripped = tokens
    .filter((t) => t.kind !== 'string')
    .map((t) => t.text)
    .join(' ');
  for (const { token, why } of NON_PORTABLE_TOKENS) if (token.test(stripped)) problems.push(why);

  const ctes = new Set<string>();
  const aliases = new Set<string>();
  tokens.forEach((token, i) => {
    // `WITH name AS (` or `, name AS (` introduces a CTE.
    const next = tokens[i + 1];
    const after = tokens[i + 2];
    if (isWord(token) && lower(next) === 'as' && after?.text === '(' && ['with', ','].includes(lower(tokens[i - 1])))
      ctes.add(lower(token));
    // An alias follows a table reference or a closing parenthesis, with or without AS.
    if (token.kind === 'placeholder' || token.text === ')' || (isWord(token) && ctes.has(lower(token)))) {
      const candidate = lower(next) === 'as' ? after : next;
      if (
        candidate?.kind === 'word' &&
        !CLAUSE_KEYWORDS.has(lower(candidate)) &&
        !GROUPING_KEYWORDS.has(lower(candidate)) &&
        !['inner', 'left', 'right', 'full', 'cross', 'join'].includes(lower(candidate))
      ) {
        aliases.add(lower(candidate));
      }
    }
  });

  const stack: Frame[] = [{ kind: 'group', inFrom: false }];
  const expectTable = (i: number, after: string) => {
    const target = tokens[i + 1];
    if (target === undefined) {
      problems.push(`query ends after ${after}`);
    } else if (
      target.kind === 'placeholder' ||
      target.text === '(' ||
      (isWord(target) && ctes.has(lower(target)) && tokens[i + 2]?.text !== '.')
    ) {
      return;
    } else {
      problems.push(
        `${after} ${target.text}: tables must be logical ({{dataset}}) so the platform can scope them to the partner`,
      );
    }
  };

  tokens.forEach((token, i) => {
    const frame = stack[stack.length - 1] ?? { kind: 'group', inFrom: false };
    const word = lower(token);
    if (token.text === ';') problems.push('only one statement is allowed (found ;)');
    if (token.text === '?') problems.push('use named parameters (:name), not ?');
    if (token.text === '$') problems.push('use named parameters (:name), not $n');
    if (token.text === '(') {
      const previous = tokens[i - 1];
      const call = isWord(previous) && !GROUPING_KEYWORDS.has(lower(previous));
      if (call && previous !== undefined && FORBIDDEN_FUNCTION.test(previous.text.replace(/"/g, ''))) {
        problems.push(`${previous.text}(...) reads outside the lake's tables and is not allowed`);
      }
      stack.push({ kind: call ? 'call' : 'group', inFrom: false });
      return;
    }
    if (token.text === ')') {
      if (stack.length <= 1) problems.push('unbalanced )');
      else stack.pop();
      return;
    }
    if (token.kind === 'word' && (word === 'from' || JOIN_WORDS.has(word))) {
      // FROM inside a function's arguments is EXTRACT(x FROM y) / SUBSTRING(x FROM n), not a table.
      if (word === 'from' && frame.kind === 'call') return;
      expectTable(i, word.toUpperCase());
      frame.inFrom = true;
      return;
    }
    if (token.kind === 'word' && CLAUSE_KEYWORDS.has(word)) frame.inFrom = false;
    if (token.text === ',' && frame.inFrom && frame.kind === 'group') expectTable(i, 'FROM ... ,');
    if (token.text === '.') {
      const left = tokens[i - 1];
      const right = tokens[i + 1];
      const qualifier = lower(left).replace(/"/g, '');
      if (left?.kind === 'number' || right?.kind === 'number') return;
      if (tokens[i + 2]?.text === '.')
        problems.push(`${left?.text}.${right?.text}.${tokens[i + 3]?.text ?? ''}: three-part names are not allowed`);
      else if (!aliases.has(qualifier) && !ctes.has(qualifier)) {
        problems.push(
          `${left?.text ?? ''}.${right?.text ?? ''}: ${left?.text ?? ''} is not an alias of a logical table; schema-qualified names are not allowed`,
        );
      }
    }
  });
  if (stack.length !== 1) problems.push('unbalanced (');
  return [...new Set(problems)];
}

/** The logical tables (`{{name}}`) a query text uses, in order of first use. */
export function logicalTables(sql: string): string[] {
  return [
    ...new Set(
      tokenize(sql)
        .filter((t) => t.kind === 'placeholder')
        .map((t) => t.name ?? ''),
    ),
  ];
}

/** The `:name` parameters a query text uses, in order of first use. */
export function parameterNames(sql: string): string[] {
  return [
    ...new Set(
      tokenize(sql)
        .filter((t) => t.kind === 'parameter')
        .map((t) => t.name ?? ''),
    ),
  ];
}

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
