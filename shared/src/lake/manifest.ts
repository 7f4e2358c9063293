// One piece on purpose: the manifest records and the conditional-write protocol that keeps them whole change together.
/**
 * Manifests: what each raw object produced. They live in the curated bucket
 * under `_manifests/` (see keys.ts).
 *
 * Concurrency: chunks of one file finish on different Lambdas at the same time,
 * so each chunk writes its own object and nobody read-modify-writes a shared
 * record of chunks. The file manifest is rewritten only with a conditional put
 * (If-Match / If-None-Match) and retried on conflict, so a rewrite never drops
 * what another writer added; completion is decided by creating one marker
 * object with If-None-Match, which exactly one caller wins.
 */
import { createHash } from 'node:crypto';
import type { SourceDialect } from '../formats/records';
import type { SheetReport } from '../formats/xlsx';
import type { HeaderMapping } from '../datasets/header-aliases';
import type { LakeNames, ObjectStore } from '../ports';
import { NoSuchKeyError, PreconditionFailedError } from '../ports';
import type { SourceFormat, WrittenPartition } from './messages';
import {
  chunkManifestKey,
  chunkManifestPrefix,
  completionMarkerKey,
  duplicateDropKey,
  duplicateDropPrefix,
  fileManifestKey,
} from './keys';
import { readObjectText } from './objects';

export interface ObjectRef {
  bucket: string;
  key: string;
}

/** The counts a chunk (or a whole file) reports. */
export interface RowCounts {
  rowsIn: number;
  rowsWritten: number;
  rowsRejected: number;
  rowsDuplicate: number;
}

/** What one chunk produced, as recorded in the complete file manifest. */
export interface ChunkRecord extends RowCounts {
  index: number;
  outputKeys: string[];
  rejectsKey?: string;
  partitions: WrittenPartition[];
  /** Why the chunk could not be processed at all, when it was quarantined. */
  quarantined?: string;
}

/** One chunk's manifest, written by the normalizer of that chunk (`_manifests/<dataset>/<hash>/chunk-<index>.json`). */
export interface ChunkManifest extends ChunkRecord {
  dataset: string;
  contentHash: string;
  raw: ObjectRef;
  /** The byte range of the raw object the chunk covered; absent when it was the whole object. */
  range?: { start: number; end: number };
  /** When the chunk finished (ISO 8601 UTC). */
  writtenAt: string;
  /** How the source's headers mapped to the contract (file-level facts, such as unknown columns, recorded once). */
  header?: HeaderMapping;
  /** How the bytes were read (delimiter, encoding, BOM). */
  dialect?: SourceDialect;
  /** For a workbook: what became of each sheet (read, hidden, or no header of this dataset). */
  sheets?: SheetReport[];
}

/** Another drop of content the lake already holds: recorded, not ingested again. */
export interface DuplicateDrop {
  bucket: string;
  key: string;
  /** When the duplicate was dropped (ISO 8601 UTC). */
  at: string;
}

/** What one raw object produced (`_manifests/<dataset>/<hash>.json`). */
export interface FileManifest {
  dataset: string;
  contentHash: string;
  format: SourceFormat;
  raw: ObjectRef;
  /** The original drop (dropzone bucket and key) the raw object was landed from. */
  source?: ObjectRef;
  /** When the raw object was landed (ISO 8601 UTC). */
  landedAt: string;
  status: 'planned' | 'complete';
  plannedAt: string;
  completedAt?: string;
  chunkCount: number;
  /** Per chunk, in index order; empty until the file is complete. */
  chunks: ChunkRecord[];
  /** Sums over the chunks; zeros until the file is complete. */
  totals: RowCounts;
  /** Every partition any chunk wrote to, once each. */
  partitions: WrittenPartition[];
  /** Later drops of the same content, which added no rows. */
  duplicateDrops: DuplicateDrop[];
}

/** What plan time knows about a file. */
export type PlannedFile = Pick<
  FileManifest,
  'dataset' | 'contentHash' | 'format' | 'raw' | 'source' | 'landedAt' | 'chunkCount'
>;

/** A manifest object that is not the JSON the lake writes (hand-edited or truncated). */
export class ManifestCorruptError extends Error {
  override name = 'ManifestCorruptError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    why: string,
    options?: { cause?: unknown },
  ) {
    super(`manifest s3://${bucket}/${key} is unreadable: ${why}; delete it and re-plan the raw object`, options);
  }
}

/** The file manifest kept changing under a conditional rewrite, more often than a healthy lake allows. */
export class ManifestContentionError extends Error {
  override name = 'ManifestContentionError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    attempts: number,
    options?: { cause?: unknown },
  ) {
    super(
      `manifest s3://${bucket}/${key} changed under ${attempts} consecutive rewrites; the event will be retried`,
      options,
    );
  }
}

const ZERO_COUNTS: RowCounts = { rowsIn: 0, rowsWritten: 0, rowsRejected: 0, rowsDuplicate: 0 };
const MAX_REWRITE_ATTEMPTS = 8;
const JSON_TYPE = 'application/json';

async function readJson<T>(
  store: ObjectStore,
  bucket: string,
  key: string,
  check: (value: unknown) => value is T,
): Promise<T | undefined> {
  let text: string;
  try {
    text = await readObjectText(store, bucket, key);
  } catch (error) {
    if (error instanceof NoSuchKeyError) return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ManifestCorruptError(bucket, key, 'not valid JSON', { cause: error });
  }
  if (!check(parsed)) throw new ManifestCorruptError(bucket, key, 'fields are missing');
  return parsed;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFileManifest(value: unknown): value is FileManifest {
  return (
    isObject(value) &&
    typeof value['dataset'] === 'string' &&
    typeof value['contentHash'] === 'string' &&
    (value['status'] === 'planned' || value['status'] === 'complete') &&
    typeof value['chunkCount'] === 'number' &&
    Array.isArray(value['chunks']) &&
    Array.isArray(value['duplicateDrops'])
  );
}

function isChunkManifest(value: unknown): value is ChunkManifest {
  return (
    isObject(value) &&
    typeof value['index'] === 'number' &&
    typeof value['rowsIn'] === 'number' &&
    Array.isArray(value['outputKeys']) &&
    Array.isArray(value['partitions'])
  );
}

function isDuplicateDrop(value: unknown): value is DuplicateDrop {
  return (
    isObject(value) &&
    typeof value['bucket'] === 'string' &&
    typeof value['key'] === 'string' &&
    typeof value['at'] === 'string'
  );
}

interface CompletionMarker {
  completedAt: string;
  /** The chunk whose normalizer completed the file: its retry may finish an interrupted completion. */
  chunkIndex?: number;
}

function isCompletionMarker(value: unknown): value is CompletionMarker {
  return isObject(value) && typeof value['completedAt'] === 'string';
}

async function listDuplicateDrops(
  store: ObjectStore,
  names: LakeNames,
  dataset: string,
  contentHash: string,
): Promise<DuplicateDrop[]> {
  const bucket = names.buckets.curated;
  const drops: DuplicateDrop[] = [];
  for await (const item of store.list(bucket, duplicateDropPrefix(dataset, contentHash))) {
    const drop = await readJson(store, bucket, item.key, isDuplicateDrop);
    if (drop !== undefined) drops.push(drop);
  }
  return drops;
}

function dropIdentity(drop: DuplicateDrop): string {
  return `${drop.bucket}\u0000${drop.key}\u0000${drop.at}`;
}

/** Merges drop lists, once per drop, oldest first. */
function mergeDrops(...lists: DuplicateDrop[][]): DuplicateDrop[] {
  const byId = new Map<string, DuplicateDrop>();
  for (const list of lists)
    for (const drop of list) byId.set(dropIdentity(drop), { bucket: drop.bucket, key: drop.key, at: drop.at });
  return [...byId.values()].sort((a, b) => a.at.localeCompare(b.at) || a.key.localeCompare(b.key));
}

/**
 * Reads the file manifest of a raw object, with every duplicate drop recorded so
 * far (also those recorded before the manifest was first written); undefined
 * when the object was never planned.
 */
export async function readFileManifest(
  store: ObjectStore,
  names: LakeNames,
  dataset: string,
  contentHash: string,
): Promise<FileManifest | undefined> {
  const manifest = await readJson(store, names.buckets.curated, fileManifestKey(dataset, contentHash), isFileManifest);
  if (manifest === undefined) return undefined;
  const drops = await listDuplicateDrops(store, names, dataset, contentHash);
  return { ...manifest, duplicateDrops: mergeDrops(manifest.duplicateDrops, drops) };
}

/**
 * Rewrites the file manifest under optimistic concurrency: reads it with its
 * ETag, applies `change`, and puts it only if nobody wrote in between
 * (If-Match, or If-None-Match when it did not exist), retrying on conflict.
 * `change` returns undefined to leave the manifest as it is.
 */
async function rewriteFileManifest(
  store: ObjectStore,
  names: LakeNames,
  dataset: string,
  contentHash: string,
  change: (current: FileManifest | undefined, drops: DuplicateDrop[]) => FileManifest | undefined,
): Promise<FileManifest | undefined> {
  const bucket = names.buckets.curated;
  const key = fileManifestKey(dataset, contentHash);
  let lastConflict: unknown;
  for (let attempt = 1; attempt <= MAX_REWRITE_ATTEMPTS; attempt++) {
    const info = await store.head(bucket, key);
    const current = info === undefined ? undefined : await readJson(store, bucket, key, isFileManifest);
    // Drops are listed after the read, so a drop recorded concurrently is either seen here or rewrites after us.
    const drops = await listDuplicateDrops(store, names, dataset, contentHash);
    const next = change(current, drops);
    if (next === undefined)
      return current === undefined
        ? undefined
        : { ...current, duplicateDrops: mergeDrops(current.duplicateDrops, drops) };
    const body = { ...next, duplicateDrops: mergeDrops(current?.duplicateDrops ?? [], next.duplicateDrops, drops) };
    try {
      await store.put(bucket, key, `${JSON.stringify(body, null, 2)}\n`, {
        contentType: JSON_TYPE,
        ...(info === undefined || current === undefined ? { ifNoneMatch: '*' as const } : { ifMatch: info.etag }),
      });
      return body;
    } catch (error) {
      // Someone wrote (or deleted) the manifest between our read and our write: read again.
      if (!(error instanceof PreconditionFailedError) && !(error instanceof NoSuchKeyError)) throw error;
      lastConflict = error;
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20 * attempt)));
    }
  }
  throw new ManifestContentionError(bucket, key, MAX_REWRITE_ATTEMPTS, { cause: lastConflict });
}

/**
 * Writes the file manifest with status `planned` at plan time. A manifest that is
 * already complete is left alone and returned as it is (a re-plan must not undo it).
 */
export async function writePlannedManifest(
  store: ObjectStore,
  names: LakeNames,
  planned: PlannedFile,
  plannedAt: Date,
): Promise<FileManifest> {
  const written = await rewriteFileManifest(store, names, planned.dataset, planned.contentHash, (current) => {
    if (current?.status === 'complete') return undefined;
    return {
      dataset: planned.dataset,
      contentHash: planned.contentHash,
      format: planned.format,
      raw: { bucket: planned.raw.bucket, key: planned.raw.key },
      ...(planned.source !== undefined ? { source: { bucket: planned.source.bucket, key: planned.source.key } } : {}),
      landedAt: planned.landedAt,
      status: 'planned',
      plannedAt: plannedAt.toISOString(),
      chunkCount: planned.chunkCount,
      chunks: [],
      totals: { ...ZERO_COUNTS },
      partitions: [],
      duplicateDrops: current?.duplicateDrops ?? [],
    };
  });
  // rewriteFileManifest returns undefined only when `change` declined and nothing existed, which cannot happen here.
  if (written === undefined)
    throw new ManifestCorruptError(
      names.buckets.curated,
      fileManifestKey(planned.dataset, planned.contentHash),
      'it vanished while being planned',
    );
  return written;
}

/**
 * Writes one chunk's manifest. Chunk manifests are separate objects, so chunks
 * finishing together never overwrite each other; a retried chunk overwrites its own.
 */
export async function writeChunkManifest(
  store: ObjectStore,
  names: LakeNames,
  manifest: ChunkManifest,
): Promise<ObjectRef> {
  const ref = {
    bucket: names.buckets.curated,
    key: chunkManifestKey(manifest.dataset, manifest.contentHash, manifest.index),
  };
  await store.put(ref.bucket, ref.key, `${JSON.stringify(manifest, null, 2)}\n`, { contentType: JSON_TYPE });
  return ref;
}

/** Reads every chunk manifest written so far for a raw object, in index order. */
export async function readChunkManifests(
  store: ObjectStore,
  names: LakeNames,
  dataset: string,
  contentHash: string,
): Promise<ChunkManifest[]> {
  const bucket = names.buckets.curated;
  const byIndex = new Map<number, ChunkManifest>();
  for await (const item of store.list(bucket, chunkManifestPrefix(dataset, contentHash))) {
    const chunk = await readJson(store, bucket, item.key, isChunkManifest);
    if (chunk !== undefined) byIndex.set(chunk.index, chunk);
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

function partitionsOf(chunks: readonly ChunkManifest[]): WrittenPartition[] {
  const byLocation = new Map<string, WrittenPartition>();
  for (const chunk of chunks)
    for (const p of chunk.partitions) byLocation.set(p.location, { site: p.site, dt: p.dt, location: p.location });
  return [...byLocation.values()].sort((a, b) => a.location.localeCompare(b.location));
}

function completeManifest(base: FileManifest, chunks: readonly ChunkManifest[], completedAt: string): FileManifest {
  const records: ChunkRecord[] = chunks.map((c) => ({
    index: c.index,
    rowsIn: c.rowsIn,
    rowsWritten: c.rowsWritten,
    rowsRejected: c.rowsRejected,
    rowsDuplicate: c.rowsDuplicate,
    outputKeys: [...c.outputKeys],
    ...(c.rejectsKey !== undefined ? { rejectsKey: c.rejectsKey } : {}),
    partitions: c.partitions.map((p) => ({ site: p.site, dt: p.dt, location: p.location })),
    ...(c.quarantined !== undefined ? { quarantined: c.quarantined } : {}),
  }));
  const totals = records.reduce<RowCounts>(
    (sum, c) => ({
      rowsIn: sum.rowsIn + c.rowsIn,
      rowsWritten: sum.rowsWritten + c.rowsWritten,
      rowsRejected: sum.rowsRejected + c.rowsRejected,
      rowsDuplicate: sum.rowsDuplicate + c.rowsDuplicate,
    }),
    { ...ZERO_COUNTS },
  );
  return { ...base, status: 'complete', completedAt, chunks: records, totals, partitions: partitionsOf(chunks) };
}

/**
 * Completes the file when every planned chunk has written its manifest. Exactly
 * one caller wins the completion marker (a conditional put); it rewrites the file
 * manifest as `complete` and gets it back, so it alone announces the partitions.
 * Everyone else (chunks still missing, or another caller won) gets undefined.
 *
 * Pass `options.chunkIndex` (the caller's chunk): a redelivered message of the
 * chunk that won gets the manifest again, so a completion interrupted between
 * the marker and the announcement is finished by the retry rather than lost.
 */
export async function completeIfAllChunksDone(
  store: ObjectStore,
  names: LakeNames,
  dataset: string,
  contentHash: string,
  options: { chunkIndex?: number; now?: Date } = {},
): Promise<FileManifest | undefined> {
  const bucket = names.buckets.curated;
  const planned = await readFileManifest(store, names, dataset, contentHash);
  // Without a plan nobody knows how many chunks to wait for.
  if (planned === undefined) return undefined;
  const chunks = await readChunkManifests(store, names, dataset, contentHash);
  const done = new Set(chunks.map((c) => c.index));
  for (let index = 0; index < planned.chunkCount; index++) if (!done.has(index)) return undefined;

  const completedAt = (options.now ?? new Date()).toISOString();
  const markerKey = completionMarkerKey(dataset, contentHash);
  const marker: CompletionMarker = {
    completedAt,
    ...(options.chunkIndex !== undefined ? { chunkIndex: options.chunkIndex } : {}),
  };
  try {
    await store.put(bucket, markerKey, JSON.stringify(marker), { contentType: JSON_TYPE, ifNoneMatch: '*' });
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
    const existing = await readJson(store, bucket, markerKey, isCompletionMarker);
    const isWinnersRetry = options.chunkIndex !== undefined && existing?.chunkIndex === options.chunkIndex;
    if (!isWinnersRetry || existing === undefined) return undefined;
    marker.completedAt = existing.completedAt;
  }
  const relevant = chunks.filter((c) => c.index < planned.chunkCount);
  return rewriteFileManifest(store, names, dataset, contentHash, (current) =>
    completeManifest(current ?? planned, relevant, marker.completedAt),
  );
}

/** A stable id for one drop, so an S3 event delivered twice records the drop once. */
export function duplicateDropId(drop: DuplicateDrop): string {
  return createHash('sha256').update(dropIdentity(drop)).digest('hex').slice(0, 32);
}

/**
 * Records that content the lake already holds was dropped again. The drop is its
 * own object (no lost updates), then merged into the file manifest when it exists,
 * so the manifest says so; readFileManifest merges drops recorded before planning.
 */
export async function recordDuplicateDrop(
  store: ObjectStore,
  names: LakeNames,
  dataset: string,
  contentHash: string,
  drop: DuplicateDrop,
): Promise<void> {
  const record: DuplicateDrop = { bucket: drop.bucket, key: drop.key, at: drop.at };
  await store.put(
    names.buckets.curated,
    duplicateDropKey(dataset, contentHash, duplicateDropId(record)),
    JSON.stringify(record),
    { contentType: JSON_TYPE },
  );
  await rewriteFileManifest(store, names, dataset, contentHash, (current, drops) => {
    if (current === undefined) return undefined;
    const merged = mergeDrops(current.duplicateDrops, drops, [record]);
    return merged.length === current.duplicateDrops.length ? undefined : { ...current, duplicateDrops: merged };
  });
}
