/** `lake sql "<SQL>"`: analyst access to the curated tables (never raw). */
import { parseArgs } from 'node:util';
import { parseFormat, UsageError } from '../arguments';
import type { CliIo } from '../io';
import { runSql } from '../local-lake';
import { printResult } from '../results';

export const usage = `  lake sql "<SQL>" [--format table|json|csv]
      Analyst access to the curated tables (never raw).
`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: 'string' } },
    strict: true,
  });
  const format = parseFormat(values.format);
  const text = positionals.join(' ').trim();
  if (text === '') throw new UsageError('sql needs a SELECT statement, e.g. lake sql "SELECT count(*) FROM vitals"');
  printResult(io, await runSql(io, text, []), format);
  return 0;
}
