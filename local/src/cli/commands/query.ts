/** `lake query <name> --partner <id>`: a named partner query, scoped to the partner's patients. */
import { parseArgs } from 'node:util';
import { lakeNames } from '@pulse-lake/shared/lake/names';
import { getNamedQuery } from '@pulse-lake/shared/query/named-queries';
import { renderNamedQuery } from '@pulse-lake/shared/query/render';
import { parseFormat, UsageError } from '../arguments';
import { LOCAL_STAGE } from '../environment';
import type { CliIo } from '../io';
import { runSql } from '../local-lake';
import { printResult } from '../results';

export const usage = `  lake query <name> --partner <id> [--param k=v]... [--format table|json|csv]
      Run a named partner query, scoped to the partner's patients.
`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { partner: { type: 'string' }, param: { type: 'string', multiple: true }, format: { type: 'string' } },
    strict: true,
  });
  const format = parseFormat(values.format);
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0)
    throw new UsageError('query needs exactly one query name, e.g. lake query daily_vitals --partner clinic-sg');
  if (values.partner === undefined || values.partner.trim() === '')
    throw new UsageError('query needs --partner <id>: every query is scoped to one partner');
  const params: Record<string, string> = {};
  for (const pair of values.param ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param ${pair} must be written name=value`);
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const named = getNamedQuery(name);
  const rendered = renderNamedQuery(
    named,
    params,
    { partnerId: values.partner },
    { curatedDatabase: lakeNames(LOCAL_STAGE).databases.curated, dialect: 'duckdb' },
  );
  printResult(io, await runSql(io, rendered.sql, rendered.parameters), format);
  return 0;
}
