/** `lake catalog`: what Athena sees: databases, tables, columns with types and PII class, partitions, files. */
import { parseArgs } from 'node:util';
import { catalogReport } from '@pulse-lake/shared/catalog/catalog-report';
import type { ResultSet } from '@pulse-lake/shared/query/format';
import { formatResult } from '@pulse-lake/shared/query/format';
import type { CliIo } from '../io';
import { withLake } from '../local-lake';
import { column } from '../results';

export const usage = `  lake catalog [--json]
      Databases, tables, columns with types and PII class, partitions, files and sizes: what Athena sees.
`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true });
  const tables = await withLake(io, (lake) => catalogReport(lake));
  if (values.json) {
    io.stdout(`${JSON.stringify(tables, null, 2)}\n`);
    return 0;
  }
  if (tables.length === 0) io.stdout('the catalog is empty: nothing has been ingested yet\n');
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  for (const t of tables) {
    io.stdout(
      `${t.database}.${t.table}  (${t.format}; ${t.partitions} partition(s), ${t.files} file(s), ${mib(t.bytes)})  ${t.location}\n`,
    );
    if (t.description !== undefined) io.stdout(`  ${t.description}\n`);
    const result: ResultSet = {
      columns: [column('column'), column('type'), column('pii'), column('about')],
      rows: t.columns.map((c) => [
        c.name,
        c.type,
        c.partitionKey === true ? 'partition key' : (c.pii ?? '-'),
        c.comment ?? '',
      ]),
    };
    io.stdout(`${formatResult(result, 'table').replace(/^/gm, '  ')}\n`);
  }
  return 0;
}
