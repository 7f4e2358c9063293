/**
 * Splits a large CSV into byte ranges that start and end on record boundaries,
 * so each range can be normalized by its own worker (one SQS message, one
 * Lambda, one ranged GET). A newline inside a quoted field is not a boundary,
 * which is why this is a scan of every byte and not a seek to the nearest
 * newline. The scan also counts records and physical lines exactly as
 * readCsv does, so a chunk's rows carry their line numbers in the whole file.
 *
 * Only encodings in which `"`, `\n` and the delimiter are single bytes that
 * never occur inside another character are split (UTF-8, windows-1252).
 */
import type { Readable } from 'node:stream';
import type { ByteRange } from '../ports';
import type { SourceDialect } from './records';

/** One range of records. `end` is inclusive, as in an HTTP Range header. */
export interface CsvChunk {
  range: ByteRange;
  /** Record number (1 = the first data record of the file) of the chunk's first record. */
  record: number;
  /** Physical line (1-based) the chunk's first byte is on. */
  line: number;
}

export interface CsvChunking {
  /** The bytes up to and including the header record (with any BOM and blank lines before it). */
  header: ByteRange;
  /** In file order; together they cover every byte after the header. Empty when there is no data after the header. */
  chunks: CsvChunk[];
}

export interface CsvChunkOptions {
  /** The object's size in bytes. */
  size: number;
  /** Target chunk size: the object is cut into ceil(size / chunkBytes) near-equal chunks. */
  chunkBytes: number;
  delimiter: NonNullable<SourceDialect['delimiter']>;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** Whether `dialect` can be cut at byte offsets (see the module comment). */
export function splittable(dialect: SourceDialect): boolean {
  return dialect.format === 'csv' && dialect.encoding !== 'utf-16le';
}

/**
 * Scans `input` (the whole object) and returns where its header ends and where
 * each chunk starts. Quoting follows readCsv's parser (csv-parse with
 * relax_quotes): a quote opens a quoted field only as a field's first byte, and
 * `""` inside one is a literal quote. Blank records (only spaces, delimiters and
 * empty quotes) are not counted, as readCsv skips them.
 */
export async function scanCsvChunks(input: Readable, options: CsvChunkOptions): Promise<CsvChunking> {
  const { size } = options;
  const delimiter = options.delimiter.charCodeAt(0);
  const wanted = Math.max(1, Math.ceil(size / Math.max(1, options.chunkBytes)));
  const nextTarget = (k: number) => Math.floor((k * size) / wanted);

  let offset = 0;
  let quoted = false;
  let quotePending = false;
  let fieldStart = true;
  let blank = true;
  let line = 1;
  let records = 0;
  let header: ByteRange | undefined;
  const starts: { at: number; record: number; line: number }[] = [];
  let target = 1;
  let bomAt = 0;
  let atRecordStart = true;

  const endOfRecord = (at: number) => {
    // `at` is the offset of the record's last byte (its LF).
    if (!blank) {
      if (header === undefined) header = { start: 0, end: at };
      else records++;
    }
    blank = true;
    fieldStart = true;
    if (header === undefined || at + 1 >= size) return;
    if (starts.length === 0) {
      starts.push({ at: at + 1, record: records + 1, line });
      return;
    }
    if (at + 1 >= nextTarget(target)) {
      starts.push({ at: at + 1, record: records + 1, line });
      while (target < wanted && nextTarget(target) <= at + 1) target++;
    }
  };

  try {
    for await (const piece of input) {
      const bytes = piece as Buffer;
      let nextQuote = bytes.indexOf(QUOTE);
      for (let i = 0; i < bytes.length; i++) {
        // Fast path: at a record's start, a whole line before the next quote is one
        // record; jump to its end instead of stepping through every byte.
        if (atRecordStart && bomAt < 0) {
          if (nextQuote >= 0 && nextQuote < i) nextQuote = bytes.indexOf(QUOTE, i);
          const newline = bytes.indexOf(LF, i);
          if (newline >= 0 && (nextQuote < 0 || nextQuote > newline)) {
            for (let j = i; j < newline && blank; j++) {
              const c = bytes[j] as number;
              if (c !== SPACE && c !== TAB && c !== CR && c !== delimiter) blank = false;
            }
            line++;
            endOfRecord(offset + newline);
            i = newline;
            continue;
          }
        }
        atRecordStart = false;
        const b = bytes[i] as number;
        // readCsv drops a UTF-8 byte order mark: it does not make the first line a record.
        if (bomAt >= 0 && offset + i === bomAt && b === UTF8_BOM[bomAt]) {
          bomAt = bomAt === 2 ? -1 : bomAt + 1;
          continue;
        }
        if (bomAt >= 0) bomAt = -1;
        if (quoted) {
          if (quotePending) {
            quotePending = false;
            if (b === QUOTE) {
              blank = false;
              continue;
            }
            quoted = false;
            // The closing quote was followed by b: handled as unquoted below.
          } else {
            if (b === QUOTE) quotePending = true;
            else if (b === LF) line++;
            else if (b !== SPACE && b !== TAB && b !== CR) blank = false;
            continue;
          }
        }
        if (b === LF) {
          line++;
          endOfRecord(offset + i);
          atRecordStart = true;
        } else if (b === delimiter) {
          fieldStart = true;
        } else if (b === QUOTE && fieldStart) {
          quoted = true;
          fieldStart = false;
        } else if (b !== CR) {
          fieldStart = false;
          if (b !== SPACE && b !== TAB) blank = false;
        }
      }
      offset += bytes.length;
    }
  } finally {
    input.destroy();
  }
  // The last record may lack its newline.
  if (header === undefined) {
    return { header: { start: 0, end: Math.max(0, offset - 1) }, chunks: [] };
  }
  const chunks = starts.map((start, index) => ({
    range: { start: start.at, end: (starts[index + 1]?.at ?? offset) - 1 },
    record: start.record,
    line: start.line,
  }));
  return { header, chunks };
}
