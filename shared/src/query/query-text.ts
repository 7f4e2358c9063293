/**
 * The checks on a named query's SQL text: only logical tables (`{{vitals}}`) or
 * the query's own CTEs after FROM and JOIN, no schema-qualified names, no
 * file-reading functions, one statement, only the engines' common syntax; and
 * the logical tables and `:name` parameters a text uses.
 */
import { NON_PORTABLE_TOKENS } from './dialect';
import { significant, tokenize, type SqlToken } from './sql-text';

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
