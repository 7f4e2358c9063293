/**
 * Running a chunk's items through the row pipeline: a header starts a row
 * normalizer, a bad record or row goes to rejects, an in-chunk duplicate is
 * dropped, and every other row is appended to its (site, dt) partition.
 */
import type { DatasetContract } from '../datasets/contract';
import type { SourceDialect, SourceItem } from '../formats/records';
import type { Clock } from '../ports';
import type { Tokenizer } from '../privacy/tokenize';
import type { CuratedPartitions } from './curated-partitions';
import { FingerprintSet } from './fingerprint-set';
import { type RejectsFile, rejectedRowReject, unreadRecordReject } from './rejects-file';
import { createRowNormalizer, type RowNormalizer } from './row-normalizer';

export interface ChunkCounts {
  rowsIn: number;
  rowsWritten: number;
  rowsRejected: number;
  rowsDuplicate: number;
}

/** What the rows of a chunk produced, updated row by row so a file-level failure mid-chunk still reports it. */
export interface ChunkRun {
  counts: ChunkCounts;
  /** The normalizer of the last header read (its mapping goes to the manifest). */
  normalizer: RowNormalizer | undefined;
  dialect: SourceDialect | undefined;
}

/** Where a chunk's rows come from and go to. */
export interface ChunkRowsContext {
  contract: DatasetContract;
  /** The raw object's key, named in every reject. */
  file: string;
  contentHash: string;
  ingestedAt: Date;
  tokenizer: Tokenizer;
  clock: Clock;
  partitions: CuratedPartitions;
  rejects: RejectsFile;
}

/** Normalizes every item of the chunk into `run`; throws what the reader or the header plan throws. */
export async function normalizeChunkRows(
  items: AsyncIterable<SourceItem[]>,
  run: ChunkRun,
  context: ChunkRowsContext,
): Promise<void> {
  const { counts } = run;
  const { file, partitions, rejects } = context;
  const seen = new FingerprintSet();
  for await (const batch of items) {
    for (const item of batch) {
      if (item.kind === 'header') {
        run.dialect = item.dialect;
        run.normalizer = createRowNormalizer(context.contract, item.fields, {
          tokenizer: context.tokenizer,
          sourceHash: context.contentHash,
          ingestedAt: context.ingestedAt,
          decimalComma: item.dialect.decimalComma,
          now: context.clock.now(),
        });
        continue;
      }
      counts.rowsIn++;
      const normalizer = run.normalizer;
      if (item.kind === 'problem' || normalizer === undefined) {
        counts.rowsRejected++;
        rejects.write(unreadRecordReject(file, item));
        continue;
      }
      const result = normalizer.normalize(item.fields, item.record);
      if (!result.ok) {
        counts.rowsRejected++;
        rejects.write(rejectedRowReject(file, item, result.rejections, result.protectedValues));
        continue;
      }
      if (!seen.add(result.dedupeFingerprint)) {
        counts.rowsDuplicate++;
        continue;
      }
      const writer =
        partitions.writerOf(result.site, result.dt) ?? (await partitions.openWriter(result.site, result.dt));
      writer.append(result.values);
      counts.rowsWritten++;
    }
  }
}
