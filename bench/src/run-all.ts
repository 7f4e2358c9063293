/**
 * `npm run bench`: every benchmark, one JSON object per line on stdout.
 * BENCH_ROWS overrides the row count (default 1,000,000); BENCH_LARGE_GB the
 * size of the large-file bench (default 1; 0 skips it); BENCH_XLSX_ROWS the
 * workbook bench's rows (default 200,000); BENCH_QUERY_ROWS the vitals rows of
 * the query API bench's lake (default 10,000,000; 0 skips it); BENCH_STREAM_RATES
 * the telemetry rates of the freshness bench (default 2000,4000,5000; empty
 * skips it) and BENCH_STREAM_SECONDS how long each runs (default 60);
 * BENCH_COMPACTION_FILES the small files of the compaction bench's partition
 * (default 2,000; 0 skips it); BENCH_PUSH_SECONDS how long the push API
 * bench's 4, then 8, signed clients push (default 10; 0 skips it).
 */
import { benchLargeCsv, benchNormalizeVitals } from './normalize-vitals';
import { benchParquetWriters } from './parquet-writers';
import { benchNormalizeXlsx } from './normalize-xlsx';
import { benchPushApi } from './push-api';
import { benchQueryApi } from './query-api';
import { benchStreamFreshness } from './stream-freshness';
import { benchCompaction } from './compaction';

const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
for (const figures of await benchParquetWriters(rows)) console.log(JSON.stringify(figures));
for (const figures of await benchNormalizeVitals(rows)) console.log(JSON.stringify(figures));
for (const figures of await benchNormalizeXlsx(Number(process.env.BENCH_XLSX_ROWS ?? 200_000)))
  console.log(JSON.stringify(figures));
// The push bench runs its server in this process: first of the benches that do, so its peak RSS and CPU are its own.
const pushSeconds = Number(process.env.BENCH_PUSH_SECONDS ?? 10);
// 4 clients offer about the bar's 20,000 records/s; 8 saturate the server and show its ceiling (and the queueing it costs).
if (pushSeconds > 0)
  for (const clients of [4, 8])
    for (const figures of await benchPushApi({ clients, seconds: pushSeconds, batchSize: 500 }))
      console.log(JSON.stringify(figures));
const largeGigabytes = Number(process.env.BENCH_LARGE_GB ?? 1);
if (largeGigabytes > 0) for (const figures of await benchLargeCsv(largeGigabytes)) console.log(JSON.stringify(figures));
const queryRows = Number(process.env.BENCH_QUERY_ROWS ?? 10_000_000);
if (queryRows > 0) for (const figures of await benchQueryApi(queryRows)) console.log(JSON.stringify(figures));
const streamRates = (process.env.BENCH_STREAM_RATES ?? '2000,4000,5000')
  .split(',')
  .filter((r) => r.trim() !== '')
  .map(Number);
if (streamRates.length > 0)
  for (const figures of await benchStreamFreshness(streamRates, Number(process.env.BENCH_STREAM_SECONDS ?? 60)))
    console.log(JSON.stringify(figures));
const compactionFiles = Number(process.env.BENCH_COMPACTION_FILES ?? 2000);
if (compactionFiles > 0)
  for (const figures of await benchCompaction(compactionFiles, compactionFiles * 500))
    console.log(JSON.stringify(figures));
