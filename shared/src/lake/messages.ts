/**
 * The messages and events that cross service boundaries. Their shapes are the
 * contract between services; change them only compatibly.
 */
import type { DatasetContract, DatasetStage, Site } from '../datasets/contract';
import type { LakeEvent, LakeNames } from '../ports';
import { fileManifestKey } from './keys';

export type SourceFormat = 'csv' | 'xlsx' | 'jsonl';

/** One SQS message: normalize one chunk of one raw object. */
export interface NormalizeChunkMessage {
  kind: 'normalize-chunk';
  dataset: string;
  format: SourceFormat;
  raw: { bucket: string; key: string };
  /** SHA-256 (hex) of the raw object: names its outputs, so a retry overwrites rather than duplicates. */
  contentHash: string;
  /** When the object was landed (ISO 8601 UTC); the rows' `_ingested_at`. */
  ingestedAt: string;
  chunk: {
    index: number;
    count: number;
    /** Byte range (end inclusive) of the raw object this chunk covers; absent when the chunk is the whole object. */
    range?: { start: number; end: number };
    /**
     * A CSV chunk past the first: the bytes of the file's header record, and the
     * record and line numbers the chunk's first record has in the whole file.
     */
    continues?: { header: { start: number; end: number }; record: number; line: number };
    /** How every chunk of a split CSV reads the bytes, decided once by the planner from the file's start. */
    csv?: { delimiter: ',' | ';' | '\t'; encoding: 'utf-8' | 'windows-1252' };
  };
}

/** A partition written by a normalizer: curated prefix `<dataset>/site=<site>/dt=<dt>/`. */
export interface WrittenPartition {
  site: Site;
  dt: string;
  /** `s3://bucket/prefix/` of the partition. */
  location: string;
}

/** EventBridge detail-type of the event a normalizer publishes when a raw object is fully normalized. */
export const PARTITIONS_WRITTEN = 'Partitions Written';

export interface PartitionsWrittenDetail {
  dataset: string;
  stage: DatasetStage;
  contentHash: string;
  manifest: { bucket: string; key: string };
  partitions: WrittenPartition[];
}

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
