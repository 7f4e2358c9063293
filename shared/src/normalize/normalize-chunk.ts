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
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CuratedValue, DatasetContract, Site } from '../datasets/contract';
import { curatedColumns, DEFAULT_MAX_REJECTED_SHARE } from '../datasets/contract';
import { detectDatasetOfSheet, getContract } from '../datasets/registry';
import { readCsv } from '../formats/csv';
import { readJsonl, scanJsonlHeader } from '../formats/jsonl';
import type { SheetReport } from '../formats/xlsx';
import { readXlsx } from '../formats/xlsx';
import type { ParquetFileWriter } from '../formats/parquet';
import { openParquetWriter } from '../formats/parquet';
import type { SourceDialect, SourceItem } from '../formats/records';
import { EmptySourceError, SourceFormatError } from '../formats/records';
import { curatedPartKey, partitionLocation, rejectsKey } from '../lake/keys';
import type { ChunkManifest } from '../lake/manifest';
import { completeIfAllChunksDone, writeChunkManifest } from '../lake/manifest';
import type { NormalizeChunkMessage, WrittenPartition } from '../lake/messages';
import { partitionsWrittenEvent } from '../lake/messages';
import { quarantineObject } from '../lake/quarantine';
import type { ByteRange, LakeDeps } from '../ports';
import { keptTokenizer } from '../privacy/tokenize';
import { FingerprintSet } from './fingerprint-set';
import type { RowNormalizer } from './row-normalizer';
import { HeaderError } from './header-plan';
import { createRowNormalizer } from './row-normalizer';

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

/** A message the normalizer cannot act on however often it is retried. */
export class NormalizeMessageError extends Error {
  override name = 'NormalizeMessageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** One line of a rejects file. `values` are the row after privacy treatment: tokens, never direct identifiers. */
export interface RejectRecord {
  /** The raw object's key. */
  file: string;
  /** The workbook sheet by position (1 = first tab), for a row of an Excel file. */
  sheet?: number;
  /** Record number (1 = first data record), as in `_source_line`. */
  line: number;
  /** The physical line the record starts on, for opening the raw file in an editor. */
  physicalLine: number;
  column?: string;
  rule: string;
  reason: string;
  /** Every problem of the row when there was more than one. */
  problems?: { column?: string; rule: string; reason: string }[];
  values: Record<string, CuratedValue>;
}

interface OpenPartition {
  site: Site;
  dt: string;
  path: string;
  writer: ParquetFileWriter;
}

/** A file of JSON lines written in batches: rejects can be as many as the rows. */
function openJsonLines(path: string) {
  const fd = openSync(path, 'w');
  let pending: string[] = [];
  let count = 0;
  const flush = () => {
    if (pending.length > 0) writeSync(fd, pending.join(''));
    pending = [];
  };
  return {
    get count() {
      return count;
    },
    write(record: RejectRecord) {
      pending.push(`${JSON.stringify(record)}\n`);
      count++;
      if (pending.length >= 1024) flush();
    },
    close() {
      flush();
      closeSync(fd);
    },
  };
}

/** Below this many rows a reject share says little (two bad rows of three). */
const MIN_ROWS_FOR_REJECT_SHARE = 20;

/** The header's bytes, then the chunk's: what a chunk past the first reads as one CSV. */
async function* headerThenChunk(
  deps: NormalizeChunkDeps,
  message: NormalizeChunkMessage,
  header: ByteRange,
  range: ByteRange,
): AsyncGenerator<Buffer> {
  const { bucket, key } = message.raw;
  for (const part of [header, range]) {
    for await (const piece of await deps.store.get(bucket, key, part)) yield piece as Buffer;
  }
}

async function itemsOf(
  deps: NormalizeChunkDeps,
  message: NormalizeChunkMessage,
  sheets: SheetReport[],
): Promise<AsyncIterable<SourceItem[]>> {
  const { bucket, key } = message.raw;
  const { range, continues, csv } = message.chunk;
  switch (message.format) {
    case 'csv': {
      const options = {
        ...(csv ?? {}),
        ...(continues !== undefined ? { continueAt: { record: continues.record, line: continues.line } } : {}),
      };
      if (continues !== undefined && range !== undefined)
        return readCsv(
          Readable.from(headerThenChunk(deps, message, continues.header, range), { objectMode: false }),
          options,
        );
      return readCsv(await deps.store.get(bucket, key, range), options);
    }
    case 'jsonl': {
      const header = await scanJsonlHeader(await deps.store.get(bucket, key, range));
      return readJsonl(await deps.store.get(bucket, key, range), header);
    }
    case 'xlsx':
      // Sheets of this dataset (by name or header) are read; every other sheet is reported in the manifest.
      return readXlsx(await deps.store.get(bucket, key, range), {
        isHeader: (fields, sheetName) => detectDatasetOfSheet(sheetName, fields)?.name === message.dataset,
        describeHeader: (fields, sheetName) => detectDatasetOfSheet(sheetName, fields)?.name,
        report: sheets,
      });
  }
}

function checkMessage(message: NormalizeChunkMessage): Date {
  const ingestedAt = new Date(message.ingestedAt);
  if (Number.isNaN(ingestedAt.getTime()))
    throw new NormalizeMessageError(
      `normalize message for ${message.dataset} chunk ${message.chunk.index} has an invalid ingestedAt`,
    );
  const { index, count, range, continues } = message.chunk;
  if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count) {
    throw new NormalizeMessageError(`normalize message for ${message.dataset} has chunk ${index} of ${count}`);
  }
  // A chunk past the start has no header of its own: it must say where the header is.
  if (range !== undefined && range.start > 0 && (continues === undefined || message.format !== 'csv')) {
    throw new NormalizeMessageError(
      `normalize message for ${message.dataset} chunk ${index} starts at byte ${range.start} but does not say where the header is (only CSV chunks can)`,
    );
  }
  return ingestedAt;
}

/** Why a workbook gave no rows of `dataset`: each sheet by position and what it was instead (never a name or cell content). */
function noSheetFor(dataset: string, sheets: readonly SheetReport[]): string {
  const seen = sheets.map(
    (s) =>
      `sheet ${s.sheet} (${s.status === 'hidden' ? 'hidden, skipped' : s.dataset !== undefined ? `holds ${s.dataset}` : 'no known header in its first rows'})`,
  );
  return `no sheet of the workbook has a ${dataset} header: ${seen.length > 0 ? seen.join(', ') : 'it has no sheets'}; move the ${dataset} rows to a visible sheet with a header row, or drop the workbook under the folder of the dataset it holds`;
}

/**
 * The file-level rule: a chunk of at least MIN_ROWS_FOR_REJECT_SHARE rows that
 * rejects more than its contract's maxRejectedShare is systematically wrong (a
 * shifted column, another unit or date format), and half a file in curated would
 * mislead more than none. In a file cut into chunks the rule applies per chunk.
 */
function tooManyRejected(
  contract: DatasetContract,
  counts: { rowsIn: number; rowsRejected: number },
): string | undefined {
  const limit = contract.maxRejectedShare ?? DEFAULT_MAX_REJECTED_SHARE;
  if (counts.rowsIn < MIN_ROWS_FOR_REJECT_SHARE || counts.rowsRejected / counts.rowsIn <= limit) return undefined;
  const percent = (share: number) => `${Math.round(share * 1000) / 10} %`;
  return (
    `${counts.rowsRejected} of ${counts.rowsIn} rows (${percent(counts.rowsRejected / counts.rowsIn)}) were rejected, more than the ${percent(limit)} ${contract.name} allows: ` +
    'the file looks systematically wrong (a shifted column, another unit or date format); its rejects say why, row by row'
  );
}

/** Errors that mean the file itself cannot be processed (quarantine it), as opposed to transient ones (throw, SQS retries). */
function fileLevelReason(error: unknown): string | undefined {
  if (error instanceof HeaderError || error instanceof EmptySourceError || error instanceof SourceFormatError)
    return error.message;
  return undefined;
}

/**
 * Normalizes one chunk (see the module comment). Throws on transient failures
 * so SQS redelivers; a file that cannot be processed at all (no header, required
 * columns missing, unreadable bytes) is quarantined and reported, not thrown.
 */
export async function normalizeChunk(deps: NormalizeChunkDeps, message: NormalizeChunkMessage): Promise<ChunkOutcome> {
  const { store, names, clock } = deps;
  const contract: DatasetContract = getContract(message.dataset);
  const ingestedAt = checkMessage(message);
  const { contentHash } = message;
  const chunkIndex = message.chunk.index;
  const columns = curatedColumns(contract);
  // The same on every row of the chunk: written once per file, not staged per row.
  const lineage = { _source_hash: contentHash, _ingested_at: ingestedAt };
  const tokenizer = keptTokenizer(await deps.keys.pseudonymizationKey());

  const work = mkdtempSync(join(tmpdir(), 'pulse-lake-normalize-'));
  const partitions: OpenPartition[] = [];
  const partitionsBySite = new Map<Site, Map<string, OpenPartition>>();
  const rejects = openJsonLines(join(work, 'rejects.jsonl'));
  let rejectsOpen = true;
  const counts = { rowsIn: 0, rowsWritten: 0, rowsRejected: 0, rowsDuplicate: 0 };
  let normalizer: RowNormalizer | undefined;
  let dialect: SourceDialect | undefined;
  let quarantined: string | undefined;
  const sheets: SheetReport[] = [];

  try {
    try {
      const seen = new FingerprintSet();
      for await (const batch of await itemsOf(deps, message, sheets)) {
        for (const item of batch) {
          if (item.kind === 'header') {
            dialect = item.dialect;
            normalizer = createRowNormalizer(contract, item.fields, {
              tokenizer,
              sourceHash: contentHash,
              ingestedAt,
              decimalComma: item.dialect.decimalComma,
              now: clock.now(),
            });
            continue;
          }
          counts.rowsIn++;
          if (item.kind === 'problem' || normalizer === undefined) {
            counts.rowsRejected++;
            const rule = item.kind === 'problem' ? item.rule : 'no_header';
            const reason = item.kind === 'problem' ? item.reason : `record ${item.record} came before any header`;
            rejects.write({
              file: message.raw.key,
              ...(item.kind === 'problem' && item.sheet !== undefined ? { sheet: item.sheet } : {}),
              line: item.record,
              physicalLine: item.line,
              rule,
              reason,
              values: {},
            });
            continue;
          }
          const result = normalizer.normalize(item.fields, item.record);
          if (!result.ok) {
            counts.rowsRejected++;
            const [first, ...more] = result.rejections;
            rejects.write({
              file: message.raw.key,
              ...(item.sheet !== undefined ? { sheet: item.sheet } : {}),
              line: item.record,
              physicalLine: item.line,
              ...(first?.column !== undefined ? { column: first.column } : {}),
              rule: first?.rule ?? 'invalid',
              reason: first?.reason ?? `record ${item.record} was rejected`,
              ...(more.length > 0
                ? {
                    problems: result.rejections.map((r) => ({
                      ...(r.column !== undefined ? { column: r.column } : {}),
                      rule: r.rule,
                      reason: r.reason,
                    })),
                  }
                : {}),
              values: result.protectedValues,
            });
            continue;
          }
          if (!seen.add(result.dedupeFingerprint)) {
            counts.rowsDuplicate++;
            continue;
          }
          // By site, then day: no key string built per row.
          let days = partitionsBySite.get(result.site);
          if (days === undefined) partitionsBySite.set(result.site, (days = new Map()));
          let partition = days.get(result.dt);
          if (partition === undefined) {
            const path = join(work, `part-${partitions.length}.parquet`);
            partition = {
              site: result.site,
              dt: result.dt,
              path,
              writer: await openParquetWriter(path, columns, { constants: lineage }),
            };
            days.set(result.dt, partition);
            partitions.push(partition);
          }
          partition.writer.append(result.values);
          counts.rowsWritten++;
        }
      }
    } catch (error) {
      quarantined = fileLevelReason(error);
      if (quarantined === undefined) throw error;
    }
    if (quarantined === undefined && normalizer === undefined && message.format === 'xlsx')
      quarantined = noSheetFor(contract.name, sheets);
    quarantined ??= tooManyRejected(contract, counts);
    rejects.close();
    rejectsOpen = false;

    const outputKeys: string[] = [];
    const written: WrittenPartition[] = [];
    let rejectsObjectKey: string | undefined;
    if (quarantined !== undefined) {
      for (const partition of partitions) partition.writer.abort();
      partitions.length = 0;
      Object.assign(counts, { rowsWritten: 0, rowsDuplicate: 0 });
      await quarantineObject(store, names, message.raw, quarantined, {
        dataset: contract.name,
        contentHash,
        at: clock.now(),
      });
    } else {
      // Sorted, so outputs and manifests list partitions in the same order on every retry.
      const ordered = [...partitions].sort((a, b) => (a.site + a.dt).localeCompare(b.site + b.dt));
      const keys = ordered.map((partition) =>
        curatedPartKey(contract.stage, contract.name, partition.site, partition.dt, contentHash, chunkIndex),
      );
      // All closed at once: the writer runs as many conversions side by side as the process allows.
      // Every one settles before a failure is thrown, so none is still writing when the work folder goes.
      const settled = await Promise.allSettled(
        ordered.map(async (partition, index) => {
          await partition.writer.close();
          await store.putFile(names.buckets.curated, keys[index] as string, partition.path, {
            contentType: 'application/vnd.apache.parquet',
          });
          rmSync(partition.path, { force: true });
        }),
      );
      const failed = settled.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      for (const [index, partition] of ordered.entries()) {
        outputKeys.push(keys[index] as string);
        written.push({
          site: partition.site,
          dt: partition.dt,
          location: partitionLocation(names, contract.stage, contract.name, partition.site, partition.dt),
        });
      }
    }
    // Kept for a quarantined chunk too: its rejects say why so many rows failed.
    if (rejects.count > 0) {
      rejectsObjectKey = rejectsKey(contract.name, contentHash, chunkIndex);
      await store.putFile(names.buckets.rejects, rejectsObjectKey, join(work, 'rejects.jsonl'), {
        contentType: 'application/x-ndjson',
      });
    }

    const manifest: ChunkManifest = {
      dataset: contract.name,
      contentHash,
      raw: { bucket: message.raw.bucket, key: message.raw.key },
      ...(message.chunk.range !== undefined
        ? { range: { start: message.chunk.range.start, end: message.chunk.range.end } }
        : {}),
      writtenAt: clock.now().toISOString(),
      index: chunkIndex,
      ...counts,
      outputKeys,
      ...(rejectsObjectKey !== undefined ? { rejectsKey: rejectsObjectKey } : {}),
      partitions: written,
      ...(quarantined !== undefined ? { quarantined } : {}),
      // Header problems (unknown columns) are file-level facts: recorded once here, not per row.
      ...(normalizer !== undefined ? { header: normalizer.header } : {}),
      ...(dialect !== undefined ? { dialect } : {}),
      ...(sheets.length > 0 ? { sheets } : {}),
    };
    await writeChunkManifest(store, names, manifest);

    const complete = await completeIfAllChunksDone(store, names, contract.name, contentHash, {
      chunkIndex,
      now: clock.now(),
    });
    if (complete !== undefined && complete.partitions.length > 0)
      await deps.bus.publish([partitionsWrittenEvent(names, contract, contentHash, complete.partitions)]);

    return {
      dataset: contract.name,
      contentHash,
      chunkIndex,
      ...counts,
      outputKeys,
      ...(rejectsObjectKey !== undefined ? { rejectsKey: rejectsObjectKey } : {}),
      partitions: written,
      fileComplete: complete !== undefined,
      ...(quarantined !== undefined ? { quarantined } : {}),
    };
  } finally {
    if (rejectsOpen) rejects.close();
    for (const partition of partitions) partition.writer.abort();
    rmSync(work, { recursive: true, force: true });
  }
}
