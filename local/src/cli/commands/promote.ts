/** `lake promote <dataset>`: moves a staging dataset to curated once its contract says so, without re-ingesting. */
import { parseArgs } from 'node:util';
import { PromoteError, promoteDataset } from '@pulse-lake/shared/catalog/promote';
import { UsageError } from '../arguments';
import type { CliIo } from '../io';
import { withLake } from '../local-lake';

export const usage = `  lake promote <dataset>
      Moves a staging dataset, once its contract says stage: 'curated', to curated without re-ingesting it.
`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {}, strict: true });
  const [dataset] = positionals;
  if (dataset === undefined || positionals.length > 1)
    throw new UsageError('promote needs one dataset, e.g. lake promote gait');
  try {
    const done = await withLake(io, (lake) => promoteDataset(lake, dataset));
    io.stdout(
      `${done.dataset}: ${done.objects} file(s) in ${done.partitions} partition(s) moved from staging to curated\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof PromoteError)) throw error;
    io.stderr(`lake promote: ${error.message}\n`);
    return 1;
  }
}
