/** `lake compact`: merges the small Parquet files of curated partitions, as the hourly job does. */
import { parseArgs } from 'node:util';
import { compactLake } from '@pulse-lake/shared/operations/compaction';
import { UsageError } from '../arguments';
import type { CliIo } from '../io';
import { withLake } from '../local-lake';

export const usage = `  lake compact [--retire-after-minutes N] [--json]
      Merge the small Parquet files of curated partitions (what the hourly job does); merged inputs
      are deleted N minutes later (default 35), by a later run, once no query can still be reading them.
`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'retire-after-minutes': { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const minutes = values['retire-after-minutes'];
  if (minutes !== undefined && !/^\d+(\.\d+)?$/.test(minutes))
    throw new UsageError(`--retire-after-minutes must be a number of minutes, got ${minutes}`);
  const outcome = await withLake(io, (lake) =>
    compactLake(lake, minutes !== undefined ? { retireAfterMs: Number(minutes) * 60_000 } : {}),
  );
  if (values.json) {
    io.stdout(`${JSON.stringify(outcome, null, 2)}\n`);
    return 0;
  }
  for (const m of outcome.merged) {
    io.stdout(
      `${m.dataset} site=${m.site} dt=${m.dt}: ${m.inputs.length} files (${(m.inputBytes / 1024).toFixed(0)} KiB) merged into ${m.outputs.length} (${m.outputs.reduce((sum, o) => sum + o.rows, 0)} rows); inputs retire after ${m.retireAfter}\n`,
    );
  }
  io.stdout(`${outcome.merged.length} partition(s) compacted, ${outcome.retired} merged file(s) retired\n`);
  return 0;
}
