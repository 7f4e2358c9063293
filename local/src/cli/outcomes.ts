/**
 * What became of a file dropped into the lake, read back from what the
 * pipeline wrote: the file manifest (`_manifests/<dataset>/<hash>.json` in the
 * curated bucket) or a quarantine record (`quarantine/<dataset>/<hash>/reason.json`
 * in the rejects bucket, naming where the quarantined copy is kept). The CLI reports from these, never from its own counts.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { LakeNames, ObjectStore } from '@pulse-lake/shared/ports';
import { readJsonIfPresent } from '@pulse-lake/shared/lake/objects';

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
  | {
      status: 'quarantined';
      dataset?: string;
      contentHash: string;
      reason: string;
      quarantine: { bucket: string; key: string };
    }
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

interface QuarantineRecord {
  key: string;
  /** Where the quarantined copy is kept (raw bucket). */
  copy?: { bucket: string; key: string };
  reason: string;
  at?: string;
  dataset?: string;
}

/** The quarantine records of this content, newest first (a file landed as several datasets may have one per dataset). */
async function findQuarantines(store: ObjectStore, names: LakeNames, contentHash: string): Promise<QuarantineRecord[]> {
  const found: QuarantineRecord[] = [];
  for await (const object of store.list(names.buckets.rejects, 'quarantine/')) {
    if (!object.key.endsWith(`/${contentHash}/reason.json`)) continue;
    const record = await readJsonIfPresent<unknown>(store, names.buckets.rejects, object.key);
    if (!isJson(record)) continue;
    const copy =
      isJson(record.copy) && typeof record.copy.bucket === 'string' && typeof record.copy.key === 'string'
        ? { bucket: record.copy.bucket, key: record.copy.key }
        : undefined;
    found.push({
      key: object.key,
      ...(copy !== undefined ? { copy } : {}),
      reason: typeof record.reason === 'string' ? record.reason : 'quarantined (no reason recorded)',
      ...(typeof record.at === 'string' ? { at: record.at } : {}),
      ...(typeof record.dataset === 'string' ? { dataset: record.dataset } : {}),
    });
  }
  return found.sort((a, b) => (b.at ?? '').localeCompare(a.at ?? ''));
}

/** The file manifests of this content: `dataset`'s, or every dataset's it was landed as. */
async function findManifests(
  store: ObjectStore,
  names: LakeNames,
  contentHash: string,
  dataset?: string,
): Promise<{ key: string; manifest: Json }[]> {
  const candidates: string[] = [];
  if (dataset !== undefined) candidates.push(`_manifests/${dataset}/${contentHash}.json`);
  else
    for await (const object of store.list(names.buckets.curated, '_manifests/'))
      if (object.key.endsWith(`/${contentHash}.json`) && object.key.split('/').length === 3)
        candidates.push(object.key);
  const found: { key: string; manifest: Json }[] = [];
  for (const key of candidates) {
    const manifest = await readJsonIfPresent<unknown>(store, names.buckets.curated, key);
    if (isJson(manifest)) found.push({ key, manifest });
  }
  return found;
}

/**
 * What became of one dropped file, identified by its content hash and the
 * dropzone key it was put under in this run (started at `since`): one outcome
 * per dataset it was landed as (a workbook can hold several), or one for a file
 * that never landed.
 */
export async function fileOutcomes(
  store: ObjectStore,
  names: LakeNames,
  file: { contentHash: string; dropKey: string; dataset?: string; since: Date },
): Promise<FileOutcome[]> {
  const { contentHash } = file;
  const quarantines = await findQuarantines(store, names, contentHash);
  const manifests = await findManifests(store, names, contentHash, file.dataset);
  const datasetOf = (m: { key: string; manifest: Json }) =>
    typeof m.manifest.dataset === 'string' ? m.manifest.dataset : (m.key.split('/')[1] ?? '');
  const datasets = new Set([
    ...manifests.map(datasetOf),
    ...quarantines.flatMap((q) =>
      q.dataset !== undefined && (file.dataset === undefined || q.dataset === file.dataset) ? [q.dataset] : [],
    ),
  ]);
  if (datasets.size === 0) return [outcomeFor(names, file, undefined, quarantines[0], undefined)];
  return [...datasets].map((dataset) =>
    outcomeFor(
      names,
      file,
      dataset,
      quarantines.find((q) => q.dataset === dataset),
      manifests.find((m) => datasetOf(m) === dataset),
    ),
  );
}

function outcomeFor(
  names: LakeNames,
  file: { contentHash: string; dropKey: string; since: Date },
  dataset: string | undefined,
  quarantine: QuarantineRecord | undefined,
  found: { key: string; manifest: Json } | undefined,
): FileOutcome {
  const { contentHash } = file;
  const quarantinedNow =
    quarantine !== undefined &&
    (quarantine.at === undefined || Date.parse(quarantine.at) >= file.since.getTime() - 1000);
  const asQuarantined = (q: QuarantineRecord): FileOutcome => ({
    status: 'quarantined',
    contentHash,
    reason: q.reason,
    quarantine: q.copy ?? { bucket: names.buckets.rejects, key: q.key },
    ...(q.dataset !== undefined ? { dataset: q.dataset } : {}),
  });
  if (quarantine && quarantinedNow) return asQuarantined(quarantine);
  if (found && found.manifest.status === 'complete') {
    const chunks = Array.isArray(found.manifest.chunks) ? found.manifest.chunks.filter(isJson) : [];
    const drops = Array.isArray(found.manifest.duplicateDrops) ? found.manifest.duplicateDrops.filter(isJson) : [];
    const droppedAgain = drops.some(
      (d) => d.key === file.dropKey && typeof d.at === 'string' && Date.parse(d.at) >= file.since.getTime() - 1000,
    );
    return {
      status: droppedAgain ? 'duplicate' : 'processed',
      dataset: dataset ?? '',
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
    ...(dataset !== undefined ? { dataset } : {}),
    reason: found
      ? `its manifest s3://${names.buckets.curated}/${found.key} is still ${String(found.manifest.status)}: a chunk failed; see the normalize queue's DLQ (${names.queues.normalizeDlq})`
      : 'no manifest and no quarantine record was written for it: it never landed (see the errors above)',
  };
}
