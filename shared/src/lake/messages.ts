/**
 * The messages and events that cross service boundaries. Their shapes are the
 * contract between services; change them only compatibly.
 */
import { z } from 'zod';
import type { DatasetContract, DatasetStage, Site } from '../datasets/contract';
import type { LakeEvent, LakeNames } from '../ports';
import { fileManifestKey } from './keys';

export const SOURCE_FORMATS = ['csv', 'xlsx', 'jsonl'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

const ByteRangeSchema = z.object({ start: z.number().int().nonnegative(), end: z.number().int().nonnegative() });

/** One SQS message: normalize one chunk of one raw object. */
export const NormalizeChunkMessageSchema = z.object({
  kind: z.literal('normalize-chunk'),
  dataset: z.string(),
  format: z.enum(SOURCE_FORMATS),
  raw: z.object({ bucket: z.string(), key: z.string() }),
  /** SHA-256 (hex) of the raw object: names its outputs, so a retry overwrites rather than duplicates. */
  contentHash: z.string(),
  /** When the object was landed (ISO 8601 UTC); the rows' `_ingested_at`. */
  ingestedAt: z.string(),
  chunk: z.object({
    index: z.number().int().nonnegative(),
    count: z.number().int().positive(),
    /** Byte range (end inclusive) of the raw object this chunk covers; absent when the chunk is the whole object. */
    range: ByteRangeSchema.optional(),
    /**
     * A CSV chunk past the first: the bytes of the file's header record, and the
     * record and line numbers the chunk's first record has in the whole file.
     */
    continues: z.object({ header: ByteRangeSchema, record: z.number().int(), line: z.number().int() }).optional(),
    /** How every chunk of a split CSV reads the bytes, decided once by the planner from the file's start. */
    csv: z.object({ delimiter: z.enum([',', ';', '\t']), encoding: z.enum(['utf-8', 'windows-1252']) }).optional(),
  }),
});
export type NormalizeChunkMessage = z.infer<typeof NormalizeChunkMessageSchema>;

/** A partition written by a normalizer: curated prefix `<dataset>/site=<site>/dt=<dt>/`. */
export const WrittenPartitionSchema = z.object({
  site: z.enum(['SG', 'US'] as const satisfies readonly Site[]),
  dt: z.string(),
  /** `s3://bucket/prefix/` of the partition. */
  location: z.string(),
});
export type WrittenPartition = z.infer<typeof WrittenPartitionSchema>;

/** EventBridge detail-type of the event a normalizer publishes when a raw object is fully normalized. */
export const PARTITIONS_WRITTEN = 'Partitions Written';

export const PartitionsWrittenDetailSchema = z.object({
  dataset: z.string(),
  stage: z.enum(['staging', 'curated'] as const satisfies readonly DatasetStage[]),
  contentHash: z.string(),
  manifest: z.object({ bucket: z.string(), key: z.string() }),
  partitions: z.array(WrittenPartitionSchema),
});
export type PartitionsWrittenDetail = z.infer<typeof PartitionsWrittenDetailSchema>;

/** The event that announces a complete file's partitions (from the normalizer, or again from the reconciliation sweep). */
export function partitionsWrittenEvent(
  names: LakeNames,
  contract: Pick<DatasetContract, 'name' | 'stage'>,
  contentHash: string,
  partitions: PartitionsWrittenDetail['partitions'],
): LakeEvent<PartitionsWrittenDetail> {
  return {
    source: names.eventSource,
    detailType: PARTITIONS_WRITTEN,
    detail: {
      dataset: contract.name,
      stage: contract.stage,
      contentHash,
      manifest: { bucket: names.buckets.curated, key: fileManifestKey(contract.name, contentHash) },
      partitions,
    },
  };
}
