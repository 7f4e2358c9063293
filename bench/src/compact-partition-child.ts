/**
 * Bench child: compacts one curated partition of the lake at `home` and retires
 * its inputs at once, printing one JSON line with its figures and its own peak RSS,
 * as the scheduled compaction Lambda would run it.
 *
 *   node compact-partition-child.mjs <home> <dataset> <site> <dt>
 */
import { buildLocalLake } from '@pulse-lake/shared/adapters/local/index';
import { getContract } from '@pulse-lake/shared/datasets/registry';
import { compactPartition, retireCompactedInputs } from '@pulse-lake/shared/operations/compaction';
import { peakRssMib } from './child';

const [, , home, dataset, site, dt] = process.argv;
if (home === undefined || dataset === undefined || site === undefined || dt === undefined)
  throw new Error('usage: compact-partition-child <home> <dataset> <site> <dt>');
const lake = buildLocalLake(home, { stage: 'local' });
try {
  const contract = getContract(dataset);
  const started = Date.now();
  const record = await compactPartition(lake, contract, site, dt, { retireAfterMs: 0 });
  const mergedMs = Date.now() - started;
  const retired = await retireCompactedInputs(lake, contract);
  const rows = record?.outputs.reduce((sum, o) => sum + o.rows, 0) ?? 0;
  console.log(
    JSON.stringify({
      files_in: record?.inputs.length ?? 0,
      bytes_in: record?.inputBytes ?? 0,
      files_out: record?.outputs.length ?? 0,
      bytes_out: record?.outputs.reduce((sum, o) => sum + o.bytes, 0) ?? 0,
      rows,
      merge_ms: mergedMs,
      total_ms: Date.now() - started,
      rows_per_second: Math.round(rows / (mergedMs / 1000)),
      retired,
      peak_rss_mib: peakRssMib(),
    }),
  );
} finally {
  await lake.close();
}
