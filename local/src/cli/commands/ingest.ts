/** `lake ingest <file>...`: pushes files through the lake once and reports what became of each. */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DATASETS, findContract } from '@pulse-lake/shared/datasets/registry';
import { formatOfExtension } from '@pulse-lake/shared/ingest/land-dropped-object';
import { DEFAULT_CHUNK_BYTES, planOptionsFromEnv } from '@pulse-lake/shared/ingest/plan-raw-object';
import { extensionOf } from '@pulse-lake/shared/lake/keys';
import { startLake } from '../../runtime/runtime';
import { UsageError } from '../arguments';
import type { Dropped } from '../drop-files';
import { droppedOutcomes, dropFiles } from '../drop-files';
import { LOCAL_STAGE, lakeHome, workerCount } from '../environment';
import type { CliIo } from '../io';
import type { FileOutcome } from '../outcomes';
import { isProcessed } from '../outcomes';

export const usage = `  lake ingest <file>... [--dataset NAME] [--json] [--workers N]
      Push files through the lake once and report rows in / written / rejected per file.
`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { dataset: { type: 'string' }, json: { type: 'boolean' }, workers: { type: 'string' } },
    strict: true,
  });
  if (positionals.length === 0) throw new UsageError('ingest needs at least one file');
  const dataset = values.dataset;
  if (dataset !== undefined && findContract(dataset) === undefined) {
    throw new UsageError(
      `--dataset ${dataset} is not a known dataset; known datasets: ${DATASETS.map((d) => d.name).join(', ')}`,
    );
  }
  const files = positionals.map((p) => resolve(io.cwd, p));
  for (const file of files)
    if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`${file} is not a file`);
  const progress = (text: string) => {
    if (io.stderrIsTTY && !values.json) io.stderr(`\r\x1b[2K${text}`);
  };
  // Worker processes cost a second or two to start: only worth it when there are chunks to run side by side.
  const chunkBytes = planOptionsFromEnv(io.env).chunkBytes ?? DEFAULT_CHUNK_BYTES;
  // Only CSV is cut into chunks; a workbook or JSON Lines file is one.
  const chunksOf = (file: string) =>
    formatOfExtension(extensionOf(file)) === 'csv' ? Math.max(1, Math.ceil(statSync(file).size / chunkBytes)) : 1;
  const chunks = files.reduce((sum, file) => sum + chunksOf(file), 0);
  const workers = workerCount(io, values.workers, chunks > 1 ? Math.min(availableParallelism(), chunks) : 0);
  const running = await startLake({ home: lakeHome(io), stage: LOCAL_STAGE, retryAfterSeconds: 1, workers });
  let results: (Dropped & { outcome: FileOutcome })[];
  try {
    const since = new Date();
    const dropped = await dropFiles(
      running,
      files.map((path) => ({ path, ...(dataset !== undefined ? { dataset } : {}) })),
      (i) => progress(`dropped ${i}/${files.length} file(s)`),
    );
    const started = Date.now();
    const ticker =
      io.stderrIsTTY && !values.json
        ? setInterval(() => progress(`normalizing... ${Math.round((Date.now() - started) / 1000)} s`), 1000)
        : undefined;
    try {
      await running.drain({ timeoutMs: 30 * 60_000 });
    } finally {
      if (ticker) clearInterval(ticker);
      progress('');
      if (io.stderrIsTTY && !values.json) io.stderr('\r\x1b[2K');
    }
    results = await droppedOutcomes(running, dropped, since);
  } finally {
    await running.stop();
  }
  const failed = results.filter((r) => !isProcessed(r.outcome));
  if (values.json) {
    io.stdout(
      `${JSON.stringify({ ok: failed.length === 0, files: results.map((r) => ({ file: r.file, dropKey: r.dropKey, ...r.outcome })) }, null, 2)}\n`,
    );
  } else {
    for (const r of results) {
      const o = r.outcome;
      if (isProcessed(o)) {
        io.stdout(
          `${basename(r.file)} -> ${o.dataset}: ${o.totals.rowsIn} rows in, ${o.totals.rowsWritten} written, ${o.totals.rowsRejected} rejected, ${o.totals.rowsDuplicate} duplicate${o.status === 'duplicate' ? ' (already ingested: no new rows)' : ''}\n`,
        );
        for (const key of o.outputKeys) io.stdout(`    s3://${running.lake.names.buckets.curated}/${key}\n`);
        for (const key of o.rejectsKeys) io.stdout(`    rejects: s3://${running.lake.names.buckets.rejects}/${key}\n`);
      } else {
        io.stdout(`${basename(r.file)}: ${o.status}\n`);
      }
    }
  }
  for (const r of failed) {
    const o = r.outcome;
    if (o.status === 'quarantined') {
      io.stderr(
        `lake ingest: ${basename(r.file)} was quarantined: ${o.reason}\n  it is kept at s3://${o.quarantine.bucket}/${o.quarantine.key} (nothing is lost); fix it and ingest it again\n`,
      );
    } else if (o.status === 'unfinished') {
      io.stderr(`lake ingest: ${basename(r.file)} was not processed: ${o.reason}\n`);
    }
  }
  return failed.length === 0 ? 0 : 1;
}
