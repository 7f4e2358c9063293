/**
 * `npm run bench`: every benchmark, one JSON object per line on stdout.
 * BENCH_ROWS overrides the row count (default 1,000,000); BENCH_LARGE_GB the
 * size of the large-file bench (default 1; 0 skips it); BENCH_XLSX_ROWS the
 * workbook bench's rows (default 200,000); BENCH_QUERY_ROWS the vitals rows of
 * the query API bench's lake (default 10,000,000; 0 skips it); BENCH_PUSH_SECONDS how long the
 * push API bench's 8 signed clients push (default 10; 0 skips it).
 */
import { benchLargeCsv, benchNormalizeVitals } from './normalize-vitals';
import { benchParquetWriters } from './parquet-writers';
import { benchNormalizeXlsx } from './normalize-xlsx';
import { benchPushApi } from './push-api';
import { benchQueryApi } from './query-api';

const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
for (const figures of await benchParquetWriters(rows)) console.log(JSON.stringify(figures));
for (const figures of await benchNormalizeVitals(rows)) console.log(JSON.stringify(figures));
for (const figures of await benchNormalizeXlsx(Number(process.env.BENCH_XLSX_ROWS ?? 200_000))) console.log(JSON.stringify(figures));
const largeGigabytes = Number(process.env.BENCH_LARGE_GB ?? 1);
if (largeGigabytes > 0) for (const figures of await benchLargeCsv(largeGigabytes)) console.log(JSON.stringify(figures));
const queryRows = Number(process.env.BENCH_QUERY_ROWS ?? 10_000_000);
if (queryRows > 0) for (const figures of await benchQueryApi(queryRows)) console.log(JSON.stringify(figures));
const pushSeconds = Number(process.env.BENCH_PUSH_SECONDS ?? 10);
if (pushSeconds > 0) for (const figures of await benchPushApi({ clients: 8, seconds: pushSeconds, batchSize: 500 })) console.log(JSON.stringify(figures));
