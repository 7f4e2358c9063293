/**
 * `npm run bench`: every benchmark, one JSON object per line on stdout.
 * BENCH_ROWS overrides the row count (default 1,000,000).
 */
import { benchNormalizeVitals } from './normalize-vitals';
import { benchParquetWriters } from './parquet-writers';

const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
for (const figures of await benchParquetWriters(rows)) console.log(JSON.stringify(figures));
for (const figures of await benchNormalizeVitals(rows)) console.log(JSON.stringify(figures));
