/**
 * The drop zone path: a file dropped by a person or a partner's export job is
 * landed, byte for byte, as the immutable raw object `<dataset>/dropzone/<sha256>.<ext>`.
 * A workbook whose sheets hold several datasets is landed once per dataset, and
 * each dataset reads its own sheets. The raw bucket's ObjectCreated event then
 * plans each raw object. Content already in the lake is recorded as a duplicate
 * drop and adds no rows; a file that cannot be landed is quarantined with a
 * reason the dropper can act on.
 */
import { DATASETS } from '../datasets/registry';
import type { LakeDeps, ObjectInfo } from '../ports';
import { NoSuchKeyError, PreconditionFailedError } from '../ports';
import { extensionOf, rawKey } from '../lake/keys';
import { recordDuplicateDrop } from '../lake/manifest';
import type { SourceFormat } from '../lake/messages';
import { quarantineObject, sha256OfObject } from '../lake/quarantine';
import { datasetFromPrefix, datasetsOfDrop } from './dropped-file-datasets';

/** The drop as one dataset's raw object: landed now, or its content was already there (duplicate). */
export interface Landing {
  outcome: 'landed' | 'duplicate';
  dataset: string;
  raw: { bucket: string; key: string };
}

/** `landed` when the drop landed as at least one new raw object; `duplicate` when all its content was in the lake already. */
export type LandDroppedObjectResult =
  | { outcome: 'landed' | 'duplicate'; contentHash: string; landings: Landing[] }
  | { outcome: 'quarantined'; reason: string; quarantine: { bucket: string; key: string } };

/** Raw-object metadata naming where a landed object came from (x-amz-meta-*). */
export const RAW_METADATA = {
  originalKey: 'original-key',
  originalBucket: 'original-bucket',
  /** Set to `uri` when `original-key` holds a URI-encoded key (S3 metadata must be ASCII). */
  originalKeyEncoding: 'original-key-encoding',
  /** The dropped object's LastModified: tells a redelivered event from a second drop of the same content. */
  originalLastModified: 'original-last-modified',
  landedAt: 'landed-at',
  dataset: 'dataset',
  contentSha256: 'content-sha256',
} as const;

const CSV_EXTENSIONS = new Set(['csv', 'tsv', 'txt']);
const JSONL_EXTENSIONS = new Set(['jsonl', 'ndjson', 'json']);
const EXCEL_EXTENSIONS = new Set(['xlsx', 'xlsm', 'xls']);

/** The source format a drop zone file's extension implies; undefined when the lake cannot read it. */
export function formatOfExtension(ext: string): SourceFormat | undefined {
  if (CSV_EXTENSIONS.has(ext)) return 'csv';
  if (JSONL_EXTENSIONS.has(ext)) return 'jsonl';
  if (EXCEL_EXTENSIONS.has(ext)) return 'xlsx';
  return undefined;
}

const CONTENT_TYPES: Record<SourceFormat, string> = {
  csv: 'text/csv',
  jsonl: 'application/x-ndjson',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

function isPrintableAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/** Why a file could not be landed; words for the person who dropped it, never its content or its name (which may name a patient). */
function unknownDatasetReason(): string {
  const folders = DATASETS.map((d) => `${d.name}/`).join(', ');
  return `cannot tell which dataset the file holds: put it under a dataset folder (${folders}) or use headers of a known dataset`;
}

/**
 * Lands one drop zone object in the raw zone (see the module comment).
 * Throws NoSuchKeyError when the object is gone, and on transient failures, so
 * the event is retried; landing the same drop again is idempotent.
 */
export async function landDroppedObject(
  deps: Pick<LakeDeps, 'store' | 'clock' | 'names'>,
  object: { bucket: string; key: string },
): Promise<LandDroppedObjectResult> {
  const { store, clock, names } = deps;
  const info = await store.head(object.bucket, object.key);
  if (info === undefined) throw new NoSuchKeyError(object.bucket, object.key);
  const ext = extensionOf(object.key);
  const format = formatOfExtension(ext);
  const prefixDataset = datasetFromPrefix(object.key);

  const quarantine = async (reason: string, dataset: string | undefined) => {
    const location = await quarantineObject(store, names, object, reason, {
      ...(dataset !== undefined ? { dataset } : {}),
      at: clock.now(),
    });
    return { outcome: 'quarantined' as const, reason, quarantine: location };
  };

  if (info.size === 0) return quarantine('empty file: it has 0 bytes; drop it again once it holds data', prefixDataset);
  if (ext === 'xls') {
    return quarantine(
      'the file is an Excel 97-2003 workbook (.xls), which the lake cannot read: save it as .xlsx or CSV UTF-8 and drop that',
      prefixDataset,
    );
  }
  if (format === undefined) {
    const type =
      ext === '' ? 'no file extension' : /^[a-z0-9]{1,10}$/.test(ext) ? `file type .${ext}` : 'an unknown file type';
    return quarantine(
      `the file has ${type}, which the lake cannot read: drop CSV (.csv, .tsv, .txt), JSON Lines (.jsonl, .ndjson, .json) or Excel (.xlsx)`,
      prefixDataset,
    );
  }
  const datasets = await datasetsOfDrop(deps, info, format);
  if (datasets.length === 0) return quarantine(unknownDatasetReason(), undefined);

  const contentHash = await sha256OfObject(store, object.bucket, object.key);
  const landings: Landing[] = [];
  for (const dataset of datasets) landings.push(await landAs(deps, object, info, format, dataset, contentHash));
  return { outcome: landings.some((l) => l.outcome === 'landed') ? 'landed' : 'duplicate', contentHash, landings };
}

/** Lands the drop as `dataset`'s raw object, or records it as a duplicate drop of content already there. */
async function landAs(
  deps: Pick<LakeDeps, 'store' | 'clock' | 'names'>,
  object: { bucket: string; key: string },
  info: ObjectInfo,
  format: SourceFormat,
  dataset: string,
  contentHash: string,
): Promise<Landing> {
  const { store, clock, names } = deps;
  const raw = { bucket: names.buckets.raw, key: rawKey(dataset, 'dropzone', contentHash, extensionOf(object.key)) };
  const droppedAt = info.lastModified.toISOString();

  const existing = await store.head(raw.bucket, raw.key);
  if (existing !== undefined)
    return duplicateOrRedelivery(deps, existing, object, droppedAt, dataset, contentHash, raw);

  const keyIsAscii = isPrintableAscii(object.key);
  try {
    await store.copy(object, raw, {
      contentType: CONTENT_TYPES[format],
      ifNoneMatch: '*',
      metadata: {
        [RAW_METADATA.originalBucket]: object.bucket,
        [RAW_METADATA.originalKey]: keyIsAscii ? object.key : encodeURI(object.key),
        ...(keyIsAscii ? {} : { [RAW_METADATA.originalKeyEncoding]: 'uri' }),
        [RAW_METADATA.originalLastModified]: droppedAt,
        [RAW_METADATA.landedAt]: clock.now().toISOString(),
        [RAW_METADATA.dataset]: dataset,
        [RAW_METADATA.contentSha256]: contentHash,
      },
    });
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
    // The same content was landed from another drop in the meantime: this drop is the duplicate.
    const winner = await store.head(raw.bucket, raw.key);
    if (winner === undefined) throw error;
    return duplicateOrRedelivery(deps, winner, object, droppedAt, dataset, contentHash, raw);
  }
  return { outcome: 'landed', dataset, raw };
}

/** The original drop recorded on a raw object. */
export function originalDropOf(info: ObjectInfo): { bucket: string; key: string } | undefined {
  const bucket = info.metadata[RAW_METADATA.originalBucket];
  const key = info.metadata[RAW_METADATA.originalKey];
  if (bucket === undefined || key === undefined) return undefined;
  if (info.metadata[RAW_METADATA.originalKeyEncoding] === 'uri') {
    try {
      return { bucket, key: decodeURI(key) };
    } catch {
      return { bucket, key };
    }
  }
  return { bucket, key };
}

async function duplicateOrRedelivery(
  deps: Pick<LakeDeps, 'store' | 'names'>,
  existing: ObjectInfo,
  object: { bucket: string; key: string },
  droppedAt: string,
  dataset: string,
  contentHash: string,
  raw: { bucket: string; key: string },
): Promise<Landing> {
  const original = originalDropOf(existing);
  // S3 delivers events at least once: the same drop seen again is not a second drop.
  const sameDrop =
    original?.bucket === object.bucket &&
    original.key === object.key &&
    existing.metadata[RAW_METADATA.originalLastModified] === droppedAt;
  if (sameDrop) return { outcome: 'landed', dataset, raw };
  await recordDuplicateDrop(deps.store, deps.names, dataset, contentHash, {
    bucket: object.bucket,
    key: object.key,
    at: droppedAt,
  });
  return { outcome: 'duplicate', dataset, raw };
}
