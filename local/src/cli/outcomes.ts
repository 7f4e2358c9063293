/**
 * What became of a file dropped into the lake, read back from what the
 * pipeline wrote: the file manifest (`_manifests/<dataset>/<hash>.json` in the
 * curated bucket) or a quarantine record (`quarantine/<dataset>/<hash>/reason.json`
 * in the rejects bucket). The CLI reports from these, never from its own counts.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ObjectStore } from '@pulse-lake/shared/ports';
import type { LakeNames } from '@pulse-lake/shared/lake/names';

export interface FileTotals {
  rowsIn: number;
  rowsWritten: number;
  rowsRejected: number;
  rowsDuplicate: number;
}

/** The file went through: its rows are in curated (or were there already, for a duplicate drop). */
export interface ProcessedOutcome {
  status: 'processed' | 'duplicate';
  dataset: string;
  contentHash: string;
  totals: FileTotals;
  outputKeys: string[];
  rejectsKeys: string[];
  manifest: { bucket: string; key: string };
}

/** The file could not be processed: quarantined with a reason, or it never finished. */
export type FailedOutcome =
  | { status: 'quarantined'; dataset?: string; contentHash: string; reason: string; quarantine: { bucket: string; key: string } }
  | { status: 'unfinished'; dataset?: string; contentHash: string; reason: string };

export type FileOutcome = ProcessedOutcome | FailedOutcome;

/** True when the file's rows went through (rejected rows are not a failure). */
export function isProcessed(outcome: FileOutcome): outcome is ProcessedOutcome {
  return outcome.status === 'processed' || outcome.status === 'duplicate';
}

/** SHA-256 (hex) of a local file, as the lake computes `content-sha256`. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function readJson(store: ObjectStore, bucket: string, key: string): Promise<unknown> {
  const body: Readable = await store.get(bucket, key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

type Json = Record<string, unknown>;
const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

/** Totals from a complete manifest: its `totals` when present, else the sum of its chunks. */
function totalsOf(manifest: Json): FileTotals {
  const chunks = Array.isArray(manifest.chunks) ? manifest.chunks.filter(isJson) : [];
  const source = isJson(manifest.totals) ? [manifest.totals] : chunks;
  return source.reduce<FileTotals>(
    (sum, c) => ({
      rowsIn: sum.rowsIn + count(c.rowsIn),
      rowsWritten: sum.rowsWritten + count(c.rowsWritten),
      rowsRejected: sum.rowsRejected + count(c.rowsRejected),
      rowsDuplicate: sum.rowsDuplicate + count(c.rowsDuplicate),
    }),
    { rowsIn: 0, rowsWritten: 0, rowsRejected: 0, rowsDuplicate: 0 },
  );
}

async function findQuarantine(store: ObjectStore, names: LakeNames, contentHash: string): Promise<{ key: string; reason: string; at?: string; dataset?: string } | undefined> {
  let found: { key: string; reason: string; at?: string; dataset?: string } | undefined;
  for await (const object of store.list(names.buckets.rejects, 'quarantine/')) {
    if (!object.key.endsWith(`/${contentHash}/reason.json`)) continue;
    const record = await readJson(store, names.buckets.rejects, object.key);
    if (!isJson(record)) continue;
    const at = typeof record.at === 'string' ? record.at : undefined;
    // The newest quarantine of this content is the one that speaks for this run.
    if (found?.at !== undefined && at !== undefined && at < found.at) continue;
    found = {
      key: object.key,
      reason: typeof record.reason === 'string' ? record.reason : 'quarantined (no reason recorded)',
      ...(at !== undefined ? { at } : {}),
      ...(typeof record.dataset === 'string' ? { dataset: record.dataset } : {}),
    };
  }
  return found;
}

async function findManifest(store: ObjectStore, names: LakeNames, contentHash: string, dataset?: string): Promise<{ key: string; manifest: Json } | undefined> {
  const candidates: string[] = [];
  if (dataset !== undefined) candidates.push(`_manifests/${dataset}/${contentHash}.json`);
  else for await (const object of store.list(names.buckets.curated, '_manifests/')) if (object.key.endsWith(`/${contentHash}.json`) && object.key.split('/').length === 3) candidates.push(object.key);
  for (const key of candidates) {
    if ((await store.head(names.buckets.curated, key)) === undefined) continue;
    const manifest = await readJson(store, names.buckets.curated, key);
    if (isJson(manifest)) return { key, manifest };
  }
  return undefined;
}

/**
 * The outcome of one dropped file, identified by its content hash and the
 * dropzone key it was put under in this run (started at `since`).
 */
export async function fileOutcome(store: ObjectStore, names: LakeNames, file: { contentHash: string; dropKey: string; dataset?: string; since: Date }): Promise<FileOutcome> {
  const { contentHash } = file;
  const quarantine = await findQuarantine(store, names, contentHash);
  const quarantinedNow = quarantine !== undefined && (quarantine.at === undefined || Date.parse(quarantine.at) >= file.since.getTime() - 1000);
  const asQuarantined = (q: NonNullable<typeof quarantine>): FileOutcome => ({
    status: 'quarantined',
    contentHash,
    reason: q.reason,
    quarantine: { bucket: names.buckets.rejects, key: q.key },
    ...(q.dataset !== undefined ? { dataset: q.dataset } : {}),
  });
  if (quarantine && quarantinedNow) return asQuarantined(quarantine);
  const found = await findManifest(store, names, contentHash, file.dataset);
  if (found && found.manifest.status === 'complete') {
    const chunks = Array.isArray(found.manifest.chunks) ? found.manifest.chunks.filter(isJson) : [];
    const drops = Array.isArray(found.manifest.duplicateDrops) ? found.manifest.duplicateDrops.filter(isJson) : [];
    const droppedAgain = drops.some((d) => d.key === file.dropKey && typeof d.at === 'string' && Date.parse(d.at) >= file.since.getTime() - 1000);
    return {
      status: droppedAgain ? 'duplicate' : 'processed',
      dataset: typeof found.manifest.dataset === 'string' ? found.manifest.dataset : (file.dataset ?? found.key.split('/')[1] ?? ''),
      contentHash,
      totals: totalsOf(found.manifest),
      outputKeys: chunks.flatMap((c) => strings(c.outputKeys)),
      rejectsKeys: chunks.map((c) => c.rejectsKey).filter((k): k is string => typeof k === 'string'),
      manifest: { bucket: names.buckets.curated, key: found.key },
    };
  }
  if (quarantine) return asQuarantined(quarantine);
  return {
    status: 'unfinished',
    contentHash,
    ...(file.dataset !== undefined ? { dataset: file.dataset } : {}),
    reason: found
      ? `its manifest s3://${names.buckets.curated}/${found.key} is still ${String(found.manifest.status)}: a chunk failed; see the normalize queue's DLQ (${names.queues.normalizeDlq})`
      : 'no manifest and no quarantine record was written for it: it never landed (see the errors above)',
  };
}
