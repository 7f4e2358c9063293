/**
 * The single-process measurement both file benches share: a file landed as one
 * raw vitals object on a fresh local lake and normalized as one chunk by
 * normalizeChunk, timed from the first byte read to the manifest written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalLake } from '@pulse-lake/shared/adapters/local/index';
import { rawKey } from '@pulse-lake/shared/lake/keys';
import { writePlannedManifest } from '@pulse-lake/shared/lake/manifest';
import type { SourceFormat } from '@pulse-lake/shared/lake/messages';
import { normalizeChunk } from '@pulse-lake/shared/normalize/normalize-chunk';
import type { Figures } from './child';
import { peakRssMib } from './child';

export async function normalizeWholeFile(
  path: string,
  file: { contentHash: string; format: SourceFormat; bench: string },
): Promise<Figures> {
  const home = mkdtempSync(join(tmpdir(), 'pulse-bench-lake-'));
  const lake = buildLocalLake(home);
  try {
    const { contentHash, format } = file;
    const raw = { bucket: lake.names.buckets.raw, key: rawKey('vitals', 'dropzone', contentHash, format) };
    await lake.store.putFile(raw.bucket, raw.key, path);
    const landedAt = new Date().toISOString();
    await writePlannedManifest(
      lake.store,
      lake.names,
      { dataset: 'vitals', contentHash, format, raw, landedAt, chunkCount: 1 },
      new Date(),
    );
    const started = performance.now();
    const outcome = await normalizeChunk(lake, {
      kind: 'normalize-chunk',
      dataset: 'vitals',
      format,
      raw,
      contentHash,
      ingestedAt: landedAt,
      chunk: { index: 0, count: 1 },
    });
    const seconds = (performance.now() - started) / 1000;
    return {
      bench: file.bench,
      rows: outcome.rowsIn,
      rows_written: outcome.rowsWritten,
      rows_rejected: outcome.rowsRejected,
      rows_duplicate: outcome.rowsDuplicate,
      partitions: outcome.partitions.length,
      ...(outcome.quarantined !== undefined ? { quarantined: outcome.quarantined } : {}),
      seconds: Math.round(seconds * 100) / 100,
      rows_per_s: Math.round(outcome.rowsIn / seconds),
      peak_rss_mib: peakRssMib(),
    };
  } finally {
    await lake.close();
    rmSync(home, { recursive: true, force: true });
  }
}
