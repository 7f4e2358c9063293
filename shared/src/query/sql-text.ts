/**
 * A small lexer for named-query text: just enough to tell strings, quoted
 * identifiers, comments, `{{logical}}` tables and `:name` parameters apart,
 * so the guard and the renderer never mistake text inside a literal for SQL.
 */

export type SqlTokenKind =
  | 'space'
  | 'comment'
  | 'string'
  | 'quoted'
  | 'placeholder'
  | 'parameter'
  | 'word'
  | 'number'
  | 'punct';

export interface SqlToken {
  kind: SqlTokenKind;
  text: string;
  /** The logical table of a placeholder, or the parameter's name. */
  name?: string;
}

/** Query text the lexer cannot read (an unterminated literal, a malformed placeholder). */
export class SqlTextError extends Error {
  override name = 'SqlTextError';
}

const PATTERNS: readonly [SqlTokenKind, RegExp][] = [
  ['space', /\s+/y],
  ['comment', /--[^\n]*|\/\*[\s\S]*?\*\//y],
  ['string', /'(?:[^']|'')*'/y],
  ['quoted', /"(?:[^"]|"")*"/y],
  ['placeholder', /\{\{\s*([a-z][a-z0-9_]*)\s*\}\}/y],
  ['punct', /::/y],
  ['parameter', /:([a-z][a-z0-9_]*)/y],
  ['word', /[A-Za-z_][A-Za-z0-9_]*/y],
  ['number', /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y],
  ['punct', /<=|>=|<>|!=|\|\||[(),.;*+\-/%<>=?$[\]]/y],
];

/** Splits query text into tokens; throws SqlTextError naming the offset of anything it cannot read. */
export function tokenize(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let at = 0;
  outer: while (at < sql.length) {
    for (const [kind, pattern] of PATTERNS) {
      pattern.lastIndex = at;
      const match = pattern.exec(sql);
      if (match === null) continue;
      const token: SqlToken = { kind, text: match[0] };
      if (match[1] !== undefined) token.name = match[1];
      tokens.push(token);
      at += match[0].length;
      continue outer;
    }
    const rest = sql.slice(at, at + 12);
    if (rest.startsWith("'") || rest.startsWith('"')) throw new SqlTextError(`unterminated literal at offset ${at}`);
    if (rest.startsWith('{{'))
      throw new SqlTextError(`malformed logical table at offset ${at}: write {{dataset_name}}`);
    throw new SqlTextError(`unexpected character ${JSON.stringify(sql[at])} at offset ${at}`);
  }
  return tokens;
}

/** The tokens without whitespace and comments. */
export function significant(tokens: readonly SqlToken[]): SqlToken[] {
  return tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
}
