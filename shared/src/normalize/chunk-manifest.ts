/**
 * What a chunk leaves behind for the file: its manifest (counts, outputs, why it
 * was quarantined, how its header mapped), and, when it is the last chunk of the
 * file to finish, the one Partitions Written event of the whole file.
 */
import type { DatasetContract } from '../datasets/contract';
import type { SourceDialect } from '../formats/records';
import type { SheetReport } from '../formats/xlsx';
import type { ChunkManifest } from '../lake/manifest';
import { completeIfAllChunksDone } from '../lake/manifest';
import type { NormalizeChunkMessage, WrittenPartition } from '../lake/messages';
import { partitionsWrittenEvent } from '../lake/messages';
import type { LakeDeps } from '../ports';
import type { ChunkCounts } from './chunk-rows';
import type { RowNormalizer } from './row-normalizer';

/** What one chunk produced, as its manifest records it. */
export interface ChunkResult {
  counts: ChunkCounts;
  outputKeys: string[];
  rejectsKey: string | undefined;
  partitions: WrittenPartition[];
  quarantined: string | undefined;
  normalizer: RowNormalizer | undefined;
  dialect: SourceDialect | undefined;
  sheets: SheetReport[];
}

/** The manifest of the message's chunk. */
export function chunkManifest(
  message: NormalizeChunkMessage,
  contract: DatasetContract,
  result: ChunkResult,
  writtenAt: Date,
): ChunkManifest {
  const { range } = message.chunk;
  return {
    dataset: contract.name,
    contentHash: message.contentHash,
    raw: { bucket: message.raw.bucket, key: message.raw.key },
    ...(range !== undefined ? { range: { start: range.start, end: range.end } } : {}),
    writtenAt: writtenAt.toISOString(),
    index: message.chunk.index,
    ...result.counts,
    outputKeys: result.outputKeys,
    ...(result.rejectsKey !== undefined ? { rejectsKey: result.rejectsKey } : {}),
    partitions: result.partitions,
    ...(result.quarantined !== undefined ? { quarantined: result.quarantined } : {}),
    // Header problems (unknown columns) are file-level facts: recorded once here, not per row.
    ...(result.normalizer !== undefined ? { header: result.normalizer.header } : {}),
    ...(result.dialect !== undefined ? { dialect: result.dialect } : {}),
    ...(result.sheets.length > 0 ? { sheets: result.sheets } : {}),
  };
}

/**
 * Completes the file manifest when every chunk is done and then announces the
 * file's partitions (if it wrote any); true when this chunk completed the file.
 */
export async function announceIfFileComplete(
  deps: Pick<LakeDeps, 'store' | 'bus' | 'clock' | 'names'>,
  contract: DatasetContract,
  contentHash: string,
  chunkIndex: number,
): Promise<boolean> {
  const { store, names, clock } = deps;
  const complete = await completeIfAllChunksDone(store, names, contract.name, contentHash, {
    chunkIndex,
    now: clock.now(),
  });
  if (complete !== undefined && complete.partitions.length > 0)
    await deps.bus.publish([partitionsWrittenEvent(names, contract, contentHash, complete.partitions)]);
  return complete !== undefined;
}
