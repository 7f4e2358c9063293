/** `lake status`: per dataset, files, rows, rejects, partitions, quarantine and freshness. */
import { parseArgs } from 'node:util';
import { lakeNames } from '@pulse-lake/shared/lake/names';
import { datasetFreshness } from '@pulse-lake/shared/operations/freshness';
import { lakeStatus } from '@pulse-lake/shared/operations/lake-status';
import type { ResultSet } from '@pulse-lake/shared/query/format';
import { formatResult } from '@pulse-lake/shared/query/format';
import { LOCAL_STAGE, lakeHome } from '../environment';
import type { CliIo } from '../io';
import { withLake } from '../local-lake';
import { column } from '../results';

export const usage = `  lake status [--json]
      Per dataset: files, rows in / written / rejected, reject rate, partitions, last ingest, quarantined files,
      and freshness: the newest queryable reading and its age.
`;

/** `42 s`, `12 min`, `5.2 h`, `3.0 d`: how old the newest queryable reading is. */
function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true });
  const { report, freshness } = await withLake(io, async (lake) => ({
    report: await lakeStatus(lake),
    freshness: await datasetFreshness(lake),
  }));
  const freshnessOf = (dataset: string) => freshness.find((f) => f.dataset === dataset);
  if (values.json) {
    const datasets = report.datasets.map((d) => {
      const fresh = freshnessOf(d.dataset);
      return {
        ...d,
        ...(fresh?.newestReadingAt !== undefined
          ? { newestReadingAt: fresh.newestReadingAt, newestReadingAgeSeconds: fresh.ageSeconds }
          : {}),
      };
    });
    io.stdout(`${JSON.stringify({ ...report, datasets }, null, 2)}\n`);
    return 0;
  }
  const result: ResultSet = {
    columns: [
      column('dataset'),
      column('files', 'BIGINT'),
      column('in_progress', 'BIGINT'),
      column('rows_in', 'BIGINT'),
      column('rows_written', 'BIGINT'),
      column('rejected', 'BIGINT'),
      column('reject_rate'),
      column('partitions', 'BIGINT'),
      column('last_ingest'),
      column('quarantined', 'BIGINT'),
      column('newest_reading'),
      column('freshness'),
    ],
    rows: report.datasets.map((d) => {
      const fresh = freshnessOf(d.dataset);
      return [
        d.dataset,
        String(d.files),
        String(d.filesInProgress),
        String(d.rowsIn),
        String(d.rowsWritten),
        String(d.rowsRejected),
        `${(d.rejectRate * 100).toFixed(1)} %`,
        String(d.partitions),
        d.lastIngestAt ?? '-',
        String(d.quarantinedFiles),
        fresh?.newestReadingAt ?? '-',
        fresh?.ageSeconds === undefined ? '-' : formatAge(fresh.ageSeconds),
      ];
    }),
  };
  io.stdout(formatResult(result, 'table'));
  if (report.quarantinedUnknown > 0)
    io.stdout(
      `${report.quarantinedUnknown} file(s) quarantined before their dataset was known: reasons in ${lakeHome(io)}/s3/${lakeNames(LOCAL_STAGE).buckets.rejects}/quarantine/_unknown/, the files in ${lakeHome(io)}/s3/${lakeNames(LOCAL_STAGE).buckets.raw}/_quarantine/_unknown/\n`,
    );
  return 0;
}
