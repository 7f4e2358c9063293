// One piece on purpose: every object key of the lake in one file, so the whole layout is read and changed in one place.
/**
 * Every object key of the lake, built in one place so that landing, planning,
 * normalizing, the catalog and the query views agree on the layout:
 *
 * - raw:        `<dataset>/<source>/<contentHash>.<ext>`
 * - curated:    `<curated|staging>/<dataset>/site=<SG|US>/dt=<YYYY-MM-DD>/part-<hash16>-<chunk4>.parquet`
 * - compacted:  `.../dt=<YYYY-MM-DD>/part-<inputsHash16>-m<nnn>.parquet`, recorded under `_manifests/_compactions/<dataset>/site=<S>/dt=<D>/`
 * - manifests:  `_manifests/<dataset>/<contentHash>.json` (the file) and
 *               `_manifests/<dataset>/<contentHash>/{chunk-<index>.json, complete.json, drops/<id>.json}`
 * - rejects:    `rejects/<dataset>/<hash16>-<chunk4>.jsonl`
 * - crawlers:   `_state/crawlers/<crawler>.json` (curated bucket): when a Glue crawler was last kicked
 * - deletions:  `_stream_deletes/<dataset | _unknown>/<contentHash>.jsonl` (raw bucket): telemetry items removed from the table
 *               `_connector_deletes/<dataset>/<contentHash>.jsonl` (raw bucket): rows a CDC connector saw deleted
 * - quarantine: the copy `_quarantine/<dataset | _unknown>/<contentHash>/<file name>` (raw bucket) and
 *               `quarantine/<dataset | _unknown>/<contentHash>/reason.json` (rejects bucket)
 */
import type { DatasetStage, Site } from '../datasets/contract';
import { SITES } from '../datasets/contract';
import type { LakeNames } from '../ports';

/**
 * The raw bucket also keeps the lake's own records: small state (who pushed
 * which batch, Idempotency-Keys) under `_state/`, quarantined files under
 * `_quarantine/`, and the telemetry table's deletions under `_stream_deletes/`
 * (raw data, so in the restricted bucket). None is a raw object to plan.
 */
export const LAKE_STATE_PREFIX = '_state/';
export const QUARANTINE_PREFIX = '_quarantine/';
export const STREAM_DELETES_PREFIX = '_stream_deletes/';
export const CONNECTOR_DELETES_PREFIX = '_connector_deletes/';

export function isLakeRecordKey(key: string): boolean {
  return (
    key.startsWith(LAKE_STATE_PREFIX) ||
    key.startsWith(QUARANTINE_PREFIX) ||
    key.startsWith(STREAM_DELETES_PREFIX) ||
    key.startsWith(CONNECTOR_DELETES_PREFIX)
  );
}

/** `_stream_deletes/<dataset | _unknown>/<contentHash>.jsonl`: one stream batch's deletions of one dataset. */
export function streamDeletesKey(dataset: string, contentHash: string): string {
  return `${STREAM_DELETES_PREFIX}${dataset}/${contentHash}.jsonl`;
}

/** `_connector_deletes/<dataset>/<contentHash>.jsonl`: one CDC batch's deletions of one dataset (tombstones). */
export function connectorDeletesKey(dataset: string, contentHash: string): string {
  return `${CONNECTOR_DELETES_PREFIX}${dataset}/${contentHash}.jsonl`;
}

/** How an object reached the raw zone. */
export type RawSource = 'dropzone' | 'api' | 'stream' | 'connector';

export const RAW_SOURCES: readonly RawSource[] = ['dropzone', 'api', 'stream', 'connector'];

/** The dataset folder of quarantined files whose dataset could not be told. */
export const UNKNOWN_DATASET = '_unknown';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const DATASET_NAME = /^[a-z][a-z0-9_]*$/;
const DT = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A key part that would break the layout (a bad hash, date, site or chunk number). */
export class LakeKeyError extends Error {
  override name = 'LakeKeyError';
}

function assertHash(contentHash: string): void {
  if (!SHA256_HEX.test(contentHash))
    throw new LakeKeyError(
      `content hash must be 64 lower-case hex digits (SHA-256), got ${contentHash.length} characters`,
    );
}

function assertDataset(dataset: string): void {
  if (!DATASET_NAME.test(dataset))
    throw new LakeKeyError(`dataset name ${JSON.stringify(dataset.slice(0, 64))} is not snake_case`);
}

function assertChunk(chunkIndex: number): void {
  if (!Number.isInteger(chunkIndex) || chunkIndex < 0 || chunkIndex > 9999)
    throw new LakeKeyError(`chunk index ${chunkIndex} is outside 0..9999`);
}

/** True when `dt` is a real calendar date written YYYY-MM-DD. */
export function isPartitionDate(dt: string): boolean {
  const match = DT.exec(dt);
  if (!match) return false;
  const date = new Date(`${dt}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === dt;
}

/** Checks a partition's values; throws LakeKeyError naming the bad one. */
export function assertPartition(site: string, dt: string): asserts site is Site {
  if (!(SITES as readonly string[]).includes(site))
    throw new LakeKeyError(`site ${JSON.stringify(site.slice(0, 16))} is not one of ${SITES.join(', ')}`);
  if (!isPartitionDate(dt))
    throw new LakeKeyError(`partition date ${JSON.stringify(dt.slice(0, 32))} is not a calendar date YYYY-MM-DD`);
}

/** `s3://bucket/key` */
export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** `s3://bucket/prefix` (or `s3a://`) as bucket and key prefix; undefined when it is not an S3 URI. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return match === null ? undefined : { bucket: match[1] ?? '', key: match[2] ?? '' };
}

/** The first 16 hex digits of a content hash: enough to keep part and rejects names unique and short. */
export function shortHash(contentHash: string): string {
  assertHash(contentHash);
  return contentHash.slice(0, 16);
}

function chunk4(chunkIndex: number): string {
  assertChunk(chunkIndex);
  return String(chunkIndex).padStart(4, '0');
}

/**
 * `_state/crawlers/<crawler>.json`, in the curated bucket: the catalog function
 * keeps its crawler debounce there, beside what it catalogs and away from the
 * restricted raw zone; no crawler target or Athena table reads `_state/`.
 */
export function crawlerStateKey(crawler: string): string {
  assertCrawlerName(crawler);
  return `${LAKE_STATE_PREFIX}crawlers/${crawler}.json`;
}

/** Crawler names become key and file names: letters, digits, `-` and `_` only. Throws LakeKeyError. */
export function assertCrawlerName(crawler: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/.test(crawler))
    throw new LakeKeyError(
      `crawler name ${JSON.stringify(crawler.slice(0, 64))} is not a letters, digits, - and _ name`,
    );
}

// ---- raw zone ----

/** The immutable raw object of some content: `<dataset>/<source>/<contentHash>.<ext>`. */
export function rawKey(dataset: string, source: RawSource, contentHash: string, ext: string): string {
  assertDataset(dataset);
  assertHash(contentHash);
  if (!/^[a-z0-9]+$/.test(ext))
    throw new LakeKeyError(`file extension ${JSON.stringify(ext.slice(0, 16))} must be lower-case letters and digits`);
  return `${dataset}/${source}/${contentHash}.${ext}`;
}

export interface ParsedRawKey {
  dataset: string;
  source: RawSource;
  contentHash: string;
  ext: string;
}

/** Reads a raw key back into its parts; undefined when the key is not in the raw layout. */
export function parseRawKey(key: string): ParsedRawKey | undefined {
  const match = /^([a-z][a-z0-9_]*)\/([a-z]+)\/([0-9a-f]{64})\.([a-z0-9]+)$/.exec(key);
  if (!match) return undefined;
  const [, dataset, source, contentHash, ext] = match;
  if (dataset === undefined || contentHash === undefined || ext === undefined) return undefined;
  const known = RAW_SOURCES.find((s) => s === source);
  if (known === undefined) return undefined;
  return { dataset, source: known, contentHash, ext };
}

// ---- curated zone ----

/** `curated/<dataset>/` (or `staging/<dataset>/` for staging contracts): the table location's key prefix. */
export function datasetPrefix(stage: DatasetStage, dataset: string): string {
  assertDataset(dataset);
  return `${stage}/${dataset}/`;
}

/** `curated/<dataset>/site=<site>/dt=<dt>/`: one partition's key prefix. */
export function partitionPrefix(stage: DatasetStage, dataset: string, site: string, dt: string): string {
  assertPartition(site, dt);
  return `${datasetPrefix(stage, dataset)}site=${site}/dt=${dt}/`;
}

/**
 * A normalizer's Parquet part file. Deterministic, so a retried chunk
 * overwrites its own output instead of adding rows.
 */
export function curatedPartKey(
  stage: DatasetStage,
  dataset: string,
  site: string,
  dt: string,
  contentHash: string,
  chunkIndex: number,
): string {
  return `${partitionPrefix(stage, dataset, site, dt)}part-${shortHash(contentHash)}-${chunk4(chunkIndex)}.parquet`;
}

/**
 * A compacted part file: named by the hash of the files it merged, so a retried
 * compaction overwrites its own output. `-m<n>` marks the n-th merged file.
 */
export function compactedPartKey(
  stage: DatasetStage,
  dataset: string,
  site: string,
  dt: string,
  inputsHash: string,
  index: number,
): string {
  return `${partitionPrefix(stage, dataset, site, dt)}part-${shortHash(inputsHash)}-m${String(index).padStart(3, '0')}.parquet`;
}

/** `_manifests/_compactions/<dataset>/[site=<S>/dt=<D>/]` (curated bucket): the records of a dataset's (or a partition's) merges. */
export function compactionRecordPrefix(dataset: string, partition?: { site: string; dt: string }): string {
  if (partition === undefined) return `_manifests/_compactions/${dataset}/`;
  assertPartition(partition.site, partition.dt);
  return `_manifests/_compactions/${dataset}/site=${partition.site}/dt=${partition.dt}/`;
}

/** `s3://<curated bucket>/<stage>/<dataset>/`: the catalog table's Location. */
export function datasetLocation(names: LakeNames, stage: DatasetStage, dataset: string): string {
  return s3Uri(names.buckets.curated, datasetPrefix(stage, dataset));
}

/** `s3://<curated bucket>/<stage>/<dataset>/site=<site>/dt=<dt>/`: a catalog partition's Location. */
export function partitionLocation(
  names: LakeNames,
  stage: DatasetStage,
  dataset: string,
  site: string,
  dt: string,
): string {
  return s3Uri(names.buckets.curated, partitionPrefix(stage, dataset, site, dt));
}

// ---- manifests (curated bucket) ----

/** The file manifest of one raw object. */
export function fileManifestKey(dataset: string, contentHash: string): string {
  assertDataset(dataset);
  assertHash(contentHash);
  return `_manifests/${dataset}/${contentHash}.json`;
}

/** The folder of one raw object's per-chunk records (chunk manifests, completion marker, duplicate drops). */
export function manifestFolder(dataset: string, contentHash: string): string {
  assertDataset(dataset);
  assertHash(contentHash);
  return `_manifests/${dataset}/${contentHash}/`;
}

/** Prefix listing every chunk manifest of one raw object. */
export function chunkManifestPrefix(dataset: string, contentHash: string): string {
  return `${manifestFolder(dataset, contentHash)}chunk-`;
}

/** One chunk's manifest, written by the normalizer of that chunk. */
export function chunkManifestKey(dataset: string, contentHash: string, chunkIndex: number): string {
  assertChunk(chunkIndex);
  return `${chunkManifestPrefix(dataset, contentHash)}${chunkIndex}.json`;
}

/** The completion marker: whoever creates it (conditional put) completes the file and announces its partitions. */
export function completionMarkerKey(dataset: string, contentHash: string): string {
  return `${manifestFolder(dataset, contentHash)}complete.json`;
}

/** Prefix listing the records of duplicate drops of the same content. */
export function duplicateDropPrefix(dataset: string, contentHash: string): string {
  return `${manifestFolder(dataset, contentHash)}drops/`;
}

/** One duplicate drop's record; `dropId` is derived from the drop so a retried event writes the same key. */
export function duplicateDropKey(dataset: string, contentHash: string, dropId: string): string {
  if (!/^[0-9a-f]{16,64}$/.test(dropId)) throw new LakeKeyError('duplicate drop id must be hex');
  return `${duplicateDropPrefix(dataset, contentHash)}${dropId}.json`;
}

// ---- rejects bucket ----

/** The rejected rows of one chunk, one JSON line each. */
export function rejectsKey(dataset: string, contentHash: string, chunkIndex: number): string {
  assertDataset(dataset);
  return `rejects/${dataset}/${shortHash(contentHash)}-${chunk4(chunkIndex)}.jsonl`;
}

/** `<dataset | _unknown>/<contentHash>/`: where one quarantined file's records go, in each bucket. */
function quarantineSubfolder(dataset: string | undefined, contentHash: string): string {
  if (dataset !== undefined) assertDataset(dataset);
  assertHash(contentHash);
  return `${dataset ?? UNKNOWN_DATASET}/${contentHash}/`;
}

/**
 * The quarantined copy, in the raw bucket (it is raw data), named by its content
 * hash like a raw object: the original name (which may name a patient) stays in
 * the copy's metadata only, so the reason that points at the copy carries none.
 */
export function quarantineCopyKey(dataset: string | undefined, contentHash: string, originalKey: string): string {
  const ext = extensionOf(originalKey);
  return `${QUARANTINE_PREFIX}${quarantineSubfolder(dataset, contentHash)}${contentHash}.${/^[a-z0-9]{1,10}$/.test(ext) ? ext : 'bin'}`;
}

/** Why a file was quarantined, in the rejects bucket: words for people, never the file's content or name. */
export function quarantineReasonKey(dataset: string | undefined, contentHash: string): string {
  return `quarantine/${quarantineSubfolder(dataset, contentHash)}reason.json`;
}

/** The last segment of a key, never empty and never `reason.json` (which would collide with the reason file). */
export function fileNameOf(key: string): string {
  const name =
    key
      .split('/')
      .filter((part) => part !== '')
      .pop() ?? 'object';
  if (name === '.' || name === '..') return 'object';
  return name === 'reason.json' ? 'reason.json.source' : name;
}

/** The lower-case extension of a key's file name, without the dot; '' when it has none. */
export function extensionOf(key: string): string {
  const name = fileNameOf(key);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}
