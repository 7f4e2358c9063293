/**
 * Reading one chunk of a raw object: its bytes from the store, through the
 * reader its format calls for, as batches of header, row and problem items.
 */
import { Readable } from 'node:stream';
import { detectDatasetOfSheet } from '../datasets/registry';
import { readCsv } from '../formats/csv';
import { readJsonl, scanJsonlHeader } from '../formats/jsonl';
import type { SourceItem } from '../formats/records';
import type { SheetReport } from '../formats/xlsx';
import { readXlsx } from '../formats/xlsx';
import type { NormalizeChunkMessage } from '../lake/messages';
import type { ByteRange, ObjectStore } from '../ports';

/** The header's bytes, then the chunk's: what a chunk past the first reads as one CSV. */
async function* headerThenChunk(
  store: ObjectStore,
  message: NormalizeChunkMessage,
  header: ByteRange,
  range: ByteRange,
): AsyncGenerator<Buffer> {
  const { bucket, key } = message.raw;
  for (const part of [header, range]) {
    for await (const piece of await store.get(bucket, key, part)) yield piece as Buffer;
  }
}

/**
 * The items of the message's chunk. For a workbook, sheets of the message's
 * dataset (by name or header) are read and every sheet is reported in `sheets`.
 */
export async function readChunkItems(
  store: ObjectStore,
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
          Readable.from(headerThenChunk(store, message, continues.header, range), { objectMode: false }),
          options,
        );
      return readCsv(await store.get(bucket, key, range), options);
    }
    case 'jsonl': {
      const header = await scanJsonlHeader(await store.get(bucket, key, range));
      return readJsonl(await store.get(bucket, key, range), header);
    }
    case 'xlsx':
      return readXlsx(await store.get(bucket, key, range), {
        isHeader: (fields, sheetName) => detectDatasetOfSheet(sheetName, fields)?.name === message.dataset,
        describeHeader: (fields, sheetName) => detectDatasetOfSheet(sheetName, fields)?.name,
        report: sheets,
      });
  }
}
