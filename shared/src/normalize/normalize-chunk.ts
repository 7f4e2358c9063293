/**
 * Normalizes one chunk of one raw object: stream it through the reader its
 * format calls for and the contract's row normalizer, drop in-chunk duplicates,
 * route good rows to one Parquet file per (site, dt) partition, and write the
 * rejected rows (with their reason, values already privacy-treated), the chunk
 * manifest, and, when this chunk completes the file, ONE Partitions Written event.
 *
 * Every output key is derived from the content hash and chunk index, so an SQS
 * redelivery overwrites its own outputs instead of adding rows. Memory stays
 * flat whatever the object size: rows are streamed to staging files in a temp
 * folder, and only an 8-byte fingerprint per row is kept for deduplication.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatasetContract } from '../datasets/contract';
import { curatedColumns } from '../datasets/contract';
import { getContract } from '../datasets/registry';
import type { SheetReport } from '../formats/xlsx';
import { rejectsKey } from '../lake/keys';
import { writeChunkManifest } from '../lake/manifest';
import type { NormalizeChunkMessage, WrittenPartition } from '../lake/messages';
import { quarantineObject } from '../lake/quarantine';
import type { LakeDeps } from '../ports';
import { keptTokenizer } from '../privacy/tokenize';
import { readChunkItems } from './chunk-items';
import { announceIfFileComplete, chunkManifest } from './chunk-manifest';
import { checkChunkMessage } from './chunk-message';
import { type ChunkRun, normalizeChunkRows } from './chunk-rows';
import { CuratedPartitions } from './curated-partitions';
import { fileLevelReason, noSheetFor, tooManyRejected } from './quarantine-reasons';
import { openRejectsFile } from './rejects-file';

export type NormalizeChunkDeps = Pick<LakeDeps, 'store' | 'bus' | 'keys' | 'clock' | 'names'>;

/** What one chunk produced (also what the handler logs). */
export interface ChunkOutcome {
  dataset: string;
  contentHash: string;
  chunkIndex: number;
  rowsIn: number;
  rowsWritten: number;
  rowsRejected: number;
  rowsDuplicate: number;
  outputKeys: string[];
  rejectsKey?: string;
  partitions: WrittenPartition[];
  /** True when this chunk completed the file (and so published Partitions Written). */
  fileComplete: boolean;
  /** Why the chunk could not be processed at all, when it was quarantined. */
  quarantined?: string;
}

/**
 * Normalizes one chunk (see the module comment). Throws on transient failures
 * so SQS redelivers; a file that cannot be processed at all (no header, required
 * columns missing, unreadable bytes) is quarantined and reported, not thrown.
 */
export async function normalizeChunk(deps: NormalizeChunkDeps, message: NormalizeChunkMessage): Promise<ChunkOutcome> {
  const { store, names, clock } = deps;
  const contract: DatasetContract = getContract(message.dataset);
  const ingestedAt = checkChunkMessage(message);
  const { contentHash } = message;
  const chunkIndex = message.chunk.index;
  const tokenizer = keptTokenizer(await deps.keys.pseudonymizationKey());

  const work = mkdtempSync(join(tmpdir(), 'pulse-lake-normalize-'));
  // Lineage is the same on every row of the chunk: written once per file, not staged per row.
  const partitions = new CuratedPartitions(work, curatedColumns(contract), {
    _source_hash: contentHash,
    _ingested_at: ingestedAt,
  });
  const rejects = openRejectsFile(join(work, 'rejects.jsonl'));
  const run: ChunkRun = {
    counts: { rowsIn: 0, rowsWritten: 0, rowsRejected: 0, rowsDuplicate: 0 },
    normalizer: undefined,
    dialect: undefined,
  };
  const { counts } = run;
  let quarantined: string | undefined;
  const sheets: SheetReport[] = [];

  try {
    try {
      await normalizeChunkRows(await readChunkItems(store, message, sheets), run, {
        contract,
        file: message.raw.key,
        contentHash,
        ingestedAt,
        tokenizer,
        clock,
        partitions,
        rejects,
      });
    } catch (error) {
      quarantined = fileLevelReason(error);
      if (quarantined === undefined) throw error;
    }
    if (quarantined === undefined && run.normalizer === undefined && message.format === 'xlsx')
      quarantined = noSheetFor(contract.name, sheets);
    quarantined ??= tooManyRejected(contract, counts);
    rejects.close();

    let outputKeys: string[] = [];
    let written: WrittenPartition[] = [];
    if (quarantined !== undefined) {
      partitions.abort();
      Object.assign(counts, { rowsWritten: 0, rowsDuplicate: 0 });
      await quarantineObject(store, names, message.raw, quarantined, {
        dataset: contract.name,
        contentHash,
        at: clock.now(),
      });
    } else {
      ({ outputKeys, written } = await partitions.publish(store, names, contract, contentHash, chunkIndex));
    }
    // Kept for a quarantined chunk too: its rejects say why so many rows failed.
    let rejectsObjectKey: string | undefined;
    if (rejects.count > 0) {
      rejectsObjectKey = rejectsKey(contract.name, contentHash, chunkIndex);
      await store.putFile(names.buckets.rejects, rejectsObjectKey, rejects.path, {
        contentType: 'application/x-ndjson',
      });
    }

    const result = {
      counts,
      outputKeys,
      rejectsKey: rejectsObjectKey,
      partitions: written,
      quarantined,
      normalizer: run.normalizer,
      dialect: run.dialect,
      sheets,
    };
    await writeChunkManifest(store, names, chunkManifest(message, contract, result, clock.now()));
    const fileComplete = await announceIfFileComplete(deps, contract, contentHash, chunkIndex);

    return {
      dataset: contract.name,
      contentHash,
      chunkIndex,
      ...counts,
      outputKeys,
      ...(rejectsObjectKey !== undefined ? { rejectsKey: rejectsObjectKey } : {}),
      partitions: written,
      fileComplete,
      ...(quarantined !== undefined ? { quarantined } : {}),
    };
  } finally {
    rejects.close();
    partitions.abort();
    rmSync(work, { recursive: true, force: true });
  }
}
