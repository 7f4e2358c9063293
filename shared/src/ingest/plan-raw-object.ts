/**
 * The raw zone path: every new raw object (dropped, pushed or streamed) is
 * planned into normalize chunks, recorded in a `planned` file manifest, and
 * fanned out to the normalize queue. Planning is idempotent: a redelivered event
 * re-sends the same messages (normalizers overwrite their own outputs), and a
 * file already complete is not normalized again.
 */
import { getContract } from '../datasets/registry';
import type { CsvChunking } from '../formats/csv-chunks';
import { scanCsvChunks, splittable } from '../formats/csv-chunks';
import { readCsv } from '../formats/csv';
import type { SourceDialect } from '../formats/records';
import { EmptySourceError, SourceFormatError } from '../formats/records';
import type { LakeDeps, ObjectStore } from '../ports';
import { NoSuchKeyError } from '../ports';
import { extensionOf, parseRawKey } from '../lake/keys';
import { originalDropOf, RAW_METADATA } from './land-dropped-object';
import { readFileManifest, writePlannedManifest } from '../lake/manifest';
import type { NormalizeChunkMessage, SourceFormat } from '../lake/messages';

/** 64 MiB: about 900,000 vitals rows, well inside one normalizer's time and memory. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;

export interface PlanOptions {
  /** Target bytes per normalize chunk (default DEFAULT_CHUNK_BYTES). */
  chunkBytes?: number;
}

/** Plan options from the environment: NORMALIZE_CHUNK_MIB sizes a large CSV's chunks (unset or invalid: the default). */
export function planOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): PlanOptions {
  const mib = Number(env.NORMALIZE_CHUNK_MIB);
  return Number.isFinite(mib) && mib > 0 ? { chunkBytes: Math.round(mib * 1024 * 1024) } : {};
}

export interface RawObjectPlan {
  dataset: string;
  contentHash: string;
  chunks: number;
  alreadyComplete: boolean;
}

/** A raw object that is not in the raw layout, so nobody can tell what it holds. */
export class RawObjectLayoutError extends Error {
  override name = 'RawObjectLayoutError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    why: string,
  ) {
    super(
      `raw object s3://${bucket}/${key} cannot be planned: ${why}; raw keys are <dataset>/<dropzone|api|stream|connector>/<sha256>.<csv|jsonl>`,
    );
  }
}

/** The source format of a raw object, from its extension. */
export function formatOfRawKey(key: string): SourceFormat | undefined {
  switch (extensionOf(key)) {
    case 'csv':
    case 'tsv':
    case 'txt':
      return 'csv';
    case 'jsonl':
    case 'ndjson':
    case 'json':
      return 'jsonl';
    case 'xlsx':
    case 'xlsm':
      return 'xlsx';
    default:
      return undefined;
  }
}

/**
 * Plans one raw object (see the module comment): a CSV larger than the chunk
 * size becomes several record-aligned chunks, normalized in parallel; anything
 * else one chunk. Throws on transient failures and on objects outside the raw layout.
 */
export async function planRawObject(
  deps: Pick<LakeDeps, 'store' | 'queue' | 'clock' | 'names'>,
  object: { bucket: string; key: string },
  options: PlanOptions = {},
): Promise<RawObjectPlan> {
  const { store, queue, clock, names } = deps;
  const parsed = parseRawKey(object.key);
  if (parsed === undefined)
    throw new RawObjectLayoutError(object.bucket, object.key, 'the key is not in the raw layout');
  const format = formatOfRawKey(object.key);
  if (format === undefined)
    throw new RawObjectLayoutError(object.bucket, object.key, `extension .${parsed.ext} is not a readable format`);
  const info = await store.head(object.bucket, object.key);
  if (info === undefined) throw new NoSuchKeyError(object.bucket, object.key);

  // The key is the authority: it is what every output is named after; metadata that disagrees means a hand-made object.
  const metaDataset = info.metadata[RAW_METADATA.dataset];
  const metaHash = info.metadata[RAW_METADATA.contentSha256];
  if (metaDataset !== undefined && metaDataset !== parsed.dataset)
    throw new RawObjectLayoutError(object.bucket, object.key, `its metadata names dataset ${metaDataset}`);
  if (metaHash !== undefined && metaHash !== parsed.contentHash)
    throw new RawObjectLayoutError(
      object.bucket,
      object.key,
      'its content-sha256 metadata differs from the hash in its key',
    );
  const contract = getContract(parsed.dataset);
  const { contentHash } = parsed;

  const existing = await readFileManifest(store, names, contract.name, contentHash);
  if (existing?.status === 'complete')
    return { dataset: contract.name, contentHash, chunks: existing.chunkCount, alreadyComplete: true };

  const landedAt = info.metadata[RAW_METADATA.landedAt] ?? info.lastModified.toISOString();
  const source = originalDropOf(info);
  const split =
    format === 'csv' ? await splitCsv(store, object, info.size, options.chunkBytes ?? DEFAULT_CHUNK_BYTES) : undefined;
  const chunkCount = split?.chunks.length ?? 1;
  await writePlannedManifest(
    store,
    names,
    {
      dataset: contract.name,
      contentHash,
      format,
      raw: { bucket: object.bucket, key: object.key },
      ...(source !== undefined ? { source } : {}),
      landedAt,
      chunkCount,
    },
    clock.now(),
  );

  const messages: NormalizeChunkMessage[] = Array.from({ length: chunkCount }, (_, index) => ({
    kind: 'normalize-chunk',
    dataset: contract.name,
    format,
    raw: { bucket: object.bucket, key: object.key },
    contentHash,
    ingestedAt: landedAt,
    chunk: { index, count: chunkCount, ...(split !== undefined ? chunkOfSplit(split, index) : {}) },
  }));
  // SQS takes ten messages per call; the adapters batch, so one call here whatever the count.
  await queue.send(
    names.queues.normalize,
    messages.map((message) => ({ id: `chunk-${message.chunk.index}`, body: JSON.stringify(message) })),
  );
  return { dataset: contract.name, contentHash, chunks: chunkCount, alreadyComplete: false };
}

interface CsvSplit extends CsvChunking {
  csv: NonNullable<NormalizeChunkMessage['chunk']['csv']>;
}

/**
 * Cuts a CSV larger than `chunkBytes` into record-aligned ranges (csv-chunks.ts).
 * Undefined, meaning one chunk for the whole object, when the object is small,
 * cannot be cut (UTF-16), or is unreadable: the normalizer then reports why.
 */
async function splitCsv(
  store: ObjectStore,
  object: { bucket: string; key: string },
  size: number,
  chunkBytes: number,
): Promise<CsvSplit | undefined> {
  if (size <= chunkBytes) return undefined;
  let dialect: SourceDialect;
  try {
    // readCsv decides the dialect from the file's start; every chunk then reads with that one.
    const reader = readCsv(await store.get(object.bucket, object.key));
    const first = await reader.next().finally(() => reader.return([]));
    const header = first.done === true ? undefined : first.value[0];
    if (header?.kind !== 'header') return undefined;
    dialect = header.dialect;
  } catch (error) {
    if (error instanceof EmptySourceError || error instanceof SourceFormatError) return undefined;
    throw error;
  }
  if (!splittable(dialect) || dialect.delimiter === undefined || dialect.encoding === 'utf-16le') return undefined;
  const scan = await scanCsvChunks(await store.get(object.bucket, object.key), {
    size,
    chunkBytes,
    delimiter: dialect.delimiter,
  });
  if (scan.chunks.length < 2) return undefined;
  return { ...scan, csv: { delimiter: dialect.delimiter, encoding: dialect.encoding } };
}

/** The chunk fields of chunk `index`: the first starts at byte 0 and so carries its own header. */
function chunkOfSplit(split: CsvSplit, index: number): Partial<NormalizeChunkMessage['chunk']> {
  const chunk = split.chunks[index];
  if (chunk === undefined) return {};
  if (index === 0) return { range: { start: 0, end: chunk.range.end }, csv: split.csv };
  return {
    range: chunk.range,
    continues: { header: split.header, record: chunk.record, line: chunk.line },
    csv: split.csv,
  };
}
