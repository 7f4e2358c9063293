/**
 * Streaming CSV reader over csv-parse for the files people actually drop:
 * Excel and LIS exports with a BOM, CRLF, quoted commas and newlines, `;` or
 * tab delimiters from European locales, and windows-1252 bytes. It never holds
 * the file: only a prefix sample (to sniff encoding and delimiter) and what
 * csv-parse buffers for the record in hand.
 */
import type { Readable } from 'node:stream';
import { finished, Readable as ReadableStream } from 'node:stream';
import { parse } from 'csv-parse';
import type { CsvError, Parser } from 'csv-parse';
import type { HeaderItem, SourceDialect, SourceItem } from './records';
import { type CsvDelimiter, fixWindows1252, sniffDelimiter, sniffEncoding } from './csv-dialect';
import { dropBlankTail, EmptySourceError, isBlankRecord, SourceFormatError } from './records';

export type { HeaderItem, ProblemItem, RowItem, SourceDialect, SourceItem } from './records';
export { EmptySourceError, SourceFormatError } from './records';

/** One item of a CSV source: the header first, then rows and row-level problems in file order. */
export type CsvRecord = SourceItem;

export interface CsvReadOptions {
  /** Skip sniffing and use this delimiter. */
  delimiter?: CsvDelimiter;
  /** Skip sniffing and decode with this encoding. */
  encoding?: SourceDialect['encoding'];
  /** Bytes inspected to decide the encoding and delimiter (default 64 KiB). */
  sampleBytes?: number;
  /**
   * The input is the header's bytes followed by a chunk from further into the
   * file (see csv-chunks.ts): number the chunk's records and lines from here.
   */
  continueAt?: { record: number; line: number };
}

const DEFAULT_SAMPLE_BYTES = 64 * 1024;
const CR = 0x0d;

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new SourceFormatError('the object stream yielded something other than bytes');
}

function newlines(fields: readonly string[]): number {
  let n = 0;
  for (const field of fields) {
    for (let at = field.indexOf('\n'); at !== -1; at = field.indexOf('\n', at + 1)) n++;
  }
  return n;
}

/**
 * The records a parser has buffered, drained with `read()` each time it becomes
 * readable: one await per batch instead of one per record.
 */
async function* recordBatches(parser: Readable): AsyncGenerator<string[][]> {
  let wake = () => {};
  let done = false;
  let failure: unknown;
  parser.on('readable', () => wake());
  finished(parser, (error) => {
    done = true;
    failure = error;
    wake();
  });
  for (;;) {
    const batch: string[][] = [];
    for (let record = parser.read() as string[] | null; record !== null; record = parser.read() as string[] | null)
      batch.push(record);
    if (batch.length > 0) {
      yield batch;
      continue;
    }
    if (failure !== undefined && failure !== null) throw failure;
    if (done || parser.readableEnded) return;
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

/**
 * Reads a CSV stream in batches of items (one `for await` step per parsed text
 * piece, not per record: per-record steps cost as much as parsing): the header
 * (with the detected dialect), then each
 * data record as a `row` with its record number and starting line, or as a
 * `problem` when it has a different number of fields than the header (extra
 * trailing empty fields are tolerated) or cannot be parsed. Blank lines are skipped.
 *
 * Throws EmptySourceError when there is no header, and SourceFormatError when
 * the bytes stop being valid in the encoding the sample showed.
 */
export async function* readCsv(input: Readable, options: CsvReadOptions = {}): AsyncGenerator<CsvRecord[]> {
  const sampleBytes = options.sampleBytes ?? DEFAULT_SAMPLE_BYTES;
  const chunks = input[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headSize = 0;
  let ended = false;
  while (headSize < sampleBytes) {
    const next = (await chunks.next()) as IteratorResult<unknown>;
    if (next.done) {
      ended = true;
      break;
    }
    const buffer = toBuffer(next.value);
    head.push(buffer);
    headSize += buffer.length;
  }
  const sample = Buffer.concat(head);

  let bom = false;
  let skip = 0;
  let encoding: SourceDialect['encoding'];
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) {
    [bom, skip, encoding] = [true, 3, 'utf-8'];
  } else if (sample[0] === 0xff && sample[1] === 0xfe) {
    // Excel's "Unicode text" export.
    [bom, skip, encoding] = [true, 2, 'utf-16le'];
  } else if (sample[0] === 0xfe && sample[1] === 0xff) {
    input.destroy();
    throw new SourceFormatError('the file is UTF-16 big-endian; save it as UTF-8 CSV and drop it again');
  } else {
    encoding = options.encoding ?? sniffEncoding(sample);
  }
  if (options.encoding !== undefined) encoding = options.encoding;

  // Fatal UTF-8: a file that turns out to mix encodings is refused rather than filled with U+FFFD.
  const decoder = new TextDecoder(encoding, { fatal: encoding !== 'windows-1252' });
  let offset = 0;
  const decode = (bytes: Buffer, last: boolean): string => {
    try {
      const text = last ? decoder.decode(bytes) : decoder.decode(bytes, { stream: true });
      offset += bytes.length;
      return encoding === 'windows-1252' ? fixWindows1252(text) : text;
    } catch (error) {
      throw new SourceFormatError(
        `bytes near offset ${offset} are not valid ${encoding} though the start of the file is; re-export the file in one encoding (UTF-8)`,
        { cause: error },
      );
    }
  };
  const firstText = decode(sample.subarray(skip), ended);
  const delimiter = options.delimiter ?? sniffDelimiter(firstText);
  const dialect: SourceDialect = { format: 'csv', delimiter, encoding, bom, decimalComma: delimiter === ';' };

  async function* text(): AsyncGenerator<string> {
    if (firstText !== '') yield firstText;
    if (ended) return;
    for (;;) {
      const next = (await chunks.next()) as IteratorResult<unknown>;
      if (next.done) break;
      const piece = decode(toBuffer(next.value), false);
      if (piece !== '') yield piece;
    }
    const tail = decode(Buffer.alloc(0), true);
    if (tail !== '') yield tail;
  }

  let header: HeaderItem | undefined;
  let nextLine = 1;
  let record = 0;
  const itemOf = (fields: string[], quoteFree: boolean): SourceItem | undefined => {
    const line = nextLine;
    nextLine += quoteFree ? 1 : 1 + newlines(fields);
    if (isBlankRecord(fields)) return undefined;
    if (header === undefined) {
      header = { kind: 'header', fields, dialect };
      if (options.continueAt !== undefined) {
        record = options.continueAt.record - 1;
        nextLine = options.continueAt.line;
      }
      return header;
    }
    record++;
    const expected = header.fields.length;
    dropBlankTail(fields, expected);
    if (fields.length !== expected) {
      return {
        kind: 'problem',
        record,
        line,
        rule: 'field_count',
        reason: `record ${record} (line ${line}) has ${fields.length} fields but the header has ${expected}; a delimiter or quote is missing or extra`,
      };
    }
    return { kind: 'row', fields, record, line };
  };
  const pieces = text();
  let parser: Parser | undefined;
  let source: Readable | undefined;
  try {
    // Quote-free text is split directly: without quotes, RFC 4180 is only lines and
    // delimiters, and splitting costs a fifth of csv-parse (bench/README.md). From
    // the first piece holding a quote to the end of the file, csv-parse reads
    // everything, so quoted fields, escaped quotes and malformed quoting keep its
    // exact behaviour. The switch falls on a line end outside quotes, as no quote came before.
    let carry = '';
    let quotedFrom: string | undefined;
    for (let next = await pieces.next(); next.done !== true; next = await pieces.next()) {
      const buffer = carry + next.value;
      if (buffer.indexOf('"') >= 0) {
        quotedFrom = buffer;
        break;
      }
      const end = buffer.lastIndexOf('\n');
      if (end < 0) {
        carry = buffer;
        continue;
      }
      const batch: SourceItem[] = [];
      for (let start = 0; start <= end; ) {
        const newline = buffer.indexOf('\n', start);
        const lineEnd = newline > start && buffer.charCodeAt(newline - 1) === CR ? newline - 1 : newline;
        const item = itemOf(buffer.slice(start, lineEnd).split(delimiter), true);
        if (item !== undefined) batch.push(item);
        start = newline + 1;
      }
      carry = buffer.slice(end + 1);
      if (batch.length > 0) yield batch;
    }
    // The quoted rest, or a last line without a line end: csv-parse's to read.
    const rest = quotedFrom ?? carry;
    if (rest !== '') {
      const skipped: CsvError[] = [];
      parser = parse({
        delimiter,
        record_delimiter: ['\r\n', '\n'],
        relax_column_count: true,
        relax_quotes: true,
        skip_records_with_error: true,
        on_skip: (error) => {
          if (error !== undefined) skipped.push(error);
          return undefined;
        },
      });
      const tail = async function* (): AsyncGenerator<string> {
        yield rest;
        if (quotedFrom !== undefined) yield* pieces;
      };
      const problemsFromSkips = (batch: SourceItem[]): void => {
        while (skipped.length > 0) {
          const error = skipped.shift();
          if (error === undefined) break;
          record++;
          const line = typeof error.lines === 'number' ? error.lines + lineBase : nextLine;
          // Only the error code: the csv-parse message quotes field content.
          batch.push({
            kind: 'problem',
            record,
            line,
            rule: 'malformed_csv',
            reason: `record ${record} (line ${line}) cannot be parsed (${error.code}); check its quotes`,
          });
          nextLine = line + 1;
        }
      };
      // csv-parse counts lines from where it started reading.
      const lineBase = nextLine - 1;
      source = ReadableStream.from(tail(), { objectMode: false });
      const failed = parser;
      source.on('error', (error) => failed.destroy(error));
      source.pipe(parser);
      for await (const records of recordBatches(parser)) {
        const batch: SourceItem[] = [];
        for (const fields of records) {
          problemsFromSkips(batch);
          const item = itemOf(fields, false);
          if (item !== undefined) batch.push(item);
        }
        problemsFromSkips(batch);
        if (batch.length > 0) yield batch;
      }
      const last: SourceItem[] = [];
      problemsFromSkips(last);
      if (last.length > 0) yield last;
    }
  } finally {
    source?.destroy();
    parser?.destroy();
    await pieces.return(undefined);
    input.destroy();
  }
  if (header === undefined) throw new EmptySourceError('csv');
}
