/**
 * Excel workbooks, streamed with exceljs's WorkbookReader (never the whole
 * workbook in memory: loading a 15 MB workbook whole took ~1 GB here). Each
 * visible sheet is searched for its header row in its first rows (title and
 * notes rows above it are skipped; a header whose cells are merged down over two
 * rows is read as one); the caller says which headers it wants, so
 * one reader serves landing (any dataset) and normalizing (one dataset). Every
 * sheet ends up in the report: read, hidden, or without a wanted header.
 *
 * Cells become the text a CSV export would hold (xlsx-cells.ts).
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import type { HeaderItem, SourceDialect, SourceItem } from './records';
import { dropBlankTail, isBlankRecord, SourceFormatError } from './records';
import { cellText } from './xlsx-cells';
import { centralDirectory, reorderedEntries, ZipFormatError } from './zip-entries';

export interface XlsxReadOptions {
  /**
   * Whether a row is the header this reader should read the sheet by. The
   * sheet's name may decide it (a sheet named after a dataset); it is never
   * reported or logged.
   */
  isHeader(fields: readonly string[], sheetName: string): boolean;
  /** Names the dataset a sheet's header belongs to when it is not a wanted one (for the report). */
  describeHeader?(fields: readonly string[], sheetName: string): string | undefined;
  /** Rows below each header are consumed but not read: for a caller that only needs to know what the sheets hold. */
  headersOnly?: boolean;
  /** Rows searched for the header at the top of a sheet (default 20). */
  headerSearchRows?: number;
  /** More cells than this in the workbook fail it: absurd dimensions are not read to the end (default 20 million). */
  maxCells?: number;
  /** A workbook whose parts declare more bytes than this uncompressed is refused before reading (default 1 GiB): zip bombs. */
  maxUncompressedBytes?: number;
  /** Filled with one line per sheet as the workbook is read. */
  report?: SheetReport[];
}

/**
 * Sheets are named by their position (1 = the first tab), never by their name:
 * a sheet's name is free text from the source, and may be a patient's.
 */
export interface SheetReport {
  sheet: number;
  /**
   * read: rows were read; hidden: skipped; other_dataset: its header is another
   * dataset's (that dataset reads it); no_header: no known header in its first rows.
   */
  status: 'read' | 'hidden' | 'other_dataset' | 'no_header';
  /** Data rows read (status read; not counted with headersOnly). */
  rows?: number;
  /** The dataset its header belongs to (status other_dataset). */
  dataset?: string;
}

const DIALECT: SourceDialect = { format: 'xlsx', encoding: 'utf-8', bom: false, decimalComma: false };
const BATCH = 1024;
const DEFAULT_MAX_CELLS = 20_000_000;
const DEFAULT_MAX_UNCOMPRESSED = 1024 ** 3;

/**
 * The workbook parts a sheet is read through, first: exceljs's streaming reader
 * takes the parts in file order and, when sheets come before them (openpyxl
 * writes them so), it was measured to lose the sheet names, hidden states and
 * date styles in about one read in eight under load.
 */
const SHARED_STRINGS = 'xl/sharedStrings.xml';
const EMPTY_SHARED_STRINGS = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>',
  'utf8',
);
const PART_ORDER = [
  '_rels/.rels',
  'xl/_rels/workbook.xml.rels',
  'xl/workbook.xml',
  'xl/styles.xml',
  'xl/sharedStrings.xml',
];
/**
 * Sheets come before the parts nobody reads (document properties, themes) and
 * this one last: measured here, exceljs's reader ended before reading the zip's
 * last entries in most reads, so those must never be sheets.
 */
const LAST_PART = '[Content_Types].xml';
const partRank = (name: string) => {
  const rank = PART_ORDER.indexOf(name);
  if (rank >= 0) return rank;
  if (name.startsWith('xl/worksheets/')) return PART_ORDER.length;
  return name === LAST_PART ? PART_ORDER.length + 2 : PART_ORDER.length + 1;
};

/** Copies the workbook to a temp file (the zip directory sits at its end), checks its declared size, and opens it parts-first. */
async function openWorkbook(
  input: Readable,
  maxUncompressedBytes: number,
): Promise<{ stream: Readable; dispose(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-lake-xlsx-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const path = join(dir, 'workbook.xlsx');
    await pipeline(input, createWriteStream(path));
    let entries: ReturnType<typeof centralDirectory>['entries'];
    try {
      ({ entries } = centralDirectory(path));
    } catch (error) {
      if (!(error instanceof ZipFormatError)) throw error;
      throw new SourceFormatError(`the file cannot be read as an Excel workbook (.xlsx): ${error.message}`, {
        cause: error,
      });
    }
    const declared = entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
    if (declared > maxUncompressedBytes) {
      throw new SourceFormatError(
        `the workbook unpacks to ${Math.round(declared / 2 ** 20)} MiB, more than the ${Math.round(maxUncompressedBytes / 2 ** 20)} MiB allowed; split it or export the sheets as CSV`,
      );
    }
    // Without a shared strings part (openpyxl writes strings inline) exceljs copies every sheet to a temp
    // file and reads them after the zip ends, and was measured to lose the last sheets when the zip
    // ended early (4 reads in 40 here). An empty one makes it read each sheet as it comes, as we ask.
    const added = entries.some((e) => e.name === SHARED_STRINGS)
      ? []
      : [{ name: SHARED_STRINGS, content: EMPTY_SHARED_STRINGS }];
    return { stream: reorderedEntries(path, partRank, added), dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** What exceljs's WorkbookReader keeps of xl/workbook.xml and its relationships once parsed. */
interface WorkbookInternals {
  workbookRels?: { Id: string; Target: string }[];
  model?: { sheets?: { id: number; name: string; rId: string; state?: string }[] };
}

/**
 * A sheet's position among the tabs and its visibility. exceljs maps sheet files to sheets through the
 * workbook's relationships but only understands relative targets
 * (`worksheets/sheet1.xml`); openpyxl and other tools write absolute ones
 * (`/xl/worksheets/sheet1.xml`), and exceljs then loses the sheet's place and
 * hidden state. Resolved here from the same parts for every target form.
 */
function sheetIdentity(
  reader: WorkbookInternals,
  worksheet: { id?: string | number; name?: string; state?: string },
  fallbackPosition: number,
): { position: number; name: string; state?: string } {
  const sheets = reader.model?.sheets ?? [];
  let index = worksheet.name !== undefined ? sheets.findIndex((s) => s.name === worksheet.name) : -1;
  if (index < 0) {
    // Unmatched by exceljs: its id is still the number in the sheet's file name.
    const file = `worksheets/sheet${String(worksheet.id)}.xml`;
    const rel = (reader.workbookRels ?? []).find((r) => r.Target.replace(/^\/?(xl\/)?/, '') === file);
    index = rel !== undefined ? sheets.findIndex((s) => s.rId === rel.Id) : -1;
  }
  const sheet = index >= 0 ? sheets[index] : undefined;
  const state = sheet !== undefined ? sheet.state : worksheet.state;
  return {
    position: index >= 0 ? index + 1 : fallbackPosition,
    name: sheet?.name ?? worksheet.name ?? '',
    ...(state !== undefined ? { state } : {}),
  };
}

/** The row with each blank cell taken from the row above it: a two-row header whose cells are merged down. */
function withBlanksFrom(fields: readonly string[], above: readonly string[]): string[] {
  return Array.from({ length: Math.max(fields.length, above.length) }, (_, i) =>
    (fields[i] ?? '').trim() !== '' ? (fields[i] ?? '') : (above[i] ?? ''),
  );
}

interface SheetRow {
  number: number;
  values: unknown;
}

/**
 * Reads the workbook, yielding batches of items: per read sheet a header item,
 * then its rows (record numbers run on across sheets; `line` is the Excel row
 * number, `sheet` the sheet's position). Throws SourceFormatError when the bytes are not
 * a workbook or it exceeds `maxCells`.
 */
export async function* readXlsx(input: Readable, options: XlsxReadOptions): AsyncGenerator<SourceItem[]> {
  const searchRows = options.headerSearchRows ?? 20;
  const maxCells = options.maxCells ?? DEFAULT_MAX_CELLS;
  const report = options.report ?? [];
  const workbook = await openWorkbook(input, options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(workbook.stream, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  let record = 0;
  let cells = 0;
  let batch: SourceItem[] = [];
  let sheetsSeen = 0;
  try {
    for await (const sheet of reader) {
      sheetsSeen++;
      const worksheet = sheet as unknown as AsyncIterable<SheetRow> & {
        id?: string | number;
        name?: string;
        state?: string;
      };
      const { position, name, state } = sheetIdentity(reader as unknown as WorkbookInternals, worksheet, sheetsSeen);
      if (state === 'hidden' || state === 'veryHidden') {
        report.push({ sheet: position, status: 'hidden' });
        // The rows must still be consumed for the reader to go on.
        for await (const row of worksheet) void row;
        continue;
      }
      let header: HeaderItem | undefined;
      let searched = 0;
      let otherDataset: string | undefined;
      let above: string[] | undefined;
      let rows = 0;
      for await (const row of worksheet) {
        const values = Array.isArray(row.values) ? (row.values as unknown[]) : [];
        cells += values.length;
        if (cells > maxCells)
          throw new SourceFormatError(
            `the workbook has more than ${maxCells.toLocaleString('en-US')} cells; split it or export the sheet as CSV`,
          );
        if (header !== undefined && options.headersOnly === true) continue;
        // row.values is 1-based (index 0 is always empty) and sparse: Array.from turns each gap into ''.
        const fields = Array.from(values.slice(1), cellText);
        if (header === undefined) {
          // Title and notes rows above the header are skipped; past the search rows the sheet is only consumed.
          if (searched >= searchRows) continue;
          if (isBlankRecord(fields)) {
            above = undefined;
            continue;
          }
          searched++;
          // A header cell merged down over two header rows holds its text in the upper row only.
          const candidates = above !== undefined ? [fields, withBlanksFrom(fields, above)] : [fields];
          above = fields;
          const found = candidates.find((candidate) => options.isHeader(candidate, name));
          if (found !== undefined) {
            while (found.length > 0 && (found[found.length - 1] ?? '').trim() === '') found.pop();
            header = { kind: 'header', fields: found, dialect: { ...DIALECT } };
            batch.push(header);
          } else {
            for (const candidate of candidates) otherDataset ??= options.describeHeader?.(candidate, name);
          }
          continue;
        }
        if (isBlankRecord(fields)) continue;
        record++;
        rows++;
        const expected = header.fields.length;
        dropBlankTail(fields, expected);
        while (fields.length < expected) fields.push('');
        if (fields.length > expected) {
          batch.push({
            kind: 'problem',
            record,
            line: row.number,
            sheet: position,
            rule: 'field_count',
            reason: `record ${record} (sheet ${position}, row ${row.number}) has values beyond the header's ${expected} columns`,
          });
        } else {
          batch.push({ kind: 'row', fields, record, line: row.number, sheet: position });
        }
        if (batch.length >= BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (header !== undefined)
        report.push({ sheet: position, status: 'read', ...(options.headersOnly === true ? {} : { rows }) });
      else if (otherDataset !== undefined)
        report.push({ sheet: position, status: 'other_dataset', dataset: otherDataset });
      else report.push({ sheet: position, status: 'no_header' });
    }
  } catch (error) {
    if (error instanceof SourceFormatError) throw error;
    // Not exceljs's message: an XML parser's error can quote the cell text it stopped at.
    throw new SourceFormatError(
      'the file cannot be read as an Excel workbook (.xlsx): its parts are damaged or not spreadsheet XML; open and save it again in Excel, or export the sheet as CSV',
      { cause: error },
    );
  } finally {
    workbook.stream.destroy();
    workbook.dispose();
  }
  if (batch.length > 0) yield batch;
}
