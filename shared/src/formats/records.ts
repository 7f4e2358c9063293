/**
 * What every source reader yields: the header first, then one item per data
 * record. A record the reader cannot split into fields reliably (a ragged CSV
 * row, a JSON line that does not parse) is a `problem`: a row-level rejection,
 * never a crash, and it carries no field values (shifted fields could put an
 * identifier under a column that is kept).
 */

/** How a source was read, reported so manifests and tests can say why values look as they do. */
export interface SourceDialect {
  format: 'csv' | 'jsonl' | 'xlsx';
  /** Field delimiter (CSV only). */
  delimiter?: ',' | ';' | '\t';
  encoding: 'utf-8' | 'utf-16le' | 'windows-1252';
  /** A byte order mark was found and removed. */
  bom: boolean;
  /** Numbers use a decimal comma (a `;`-delimited export from a European locale). */
  decimalComma: boolean;
}

export interface HeaderItem {
  kind: 'header';
  fields: string[];
  dialect: SourceDialect;
}

export interface RowItem {
  kind: 'row';
  fields: string[];
  /** Record number: 1 = the first data record after the header. */
  record: number;
  /** Physical line (1-based) where the record starts: what an editor shows (the row number in a workbook). */
  line: number;
  /** The workbook sheet the record is on, by position (1 = first tab; names may hold identifiers). */
  sheet?: number;
}

export interface ProblemItem {
  kind: 'problem';
  record: number;
  line: number;
  /** The workbook sheet the record is on, by position (1 = first tab; names may hold identifiers). */
  sheet?: number;
  /** Machine-readable rule, e.g. `field_count`, `malformed_json`. */
  rule: string;
  /** Human-readable reason, free of field values. */
  reason: string;
}

export type SourceItem = HeaderItem | RowItem | ProblemItem;

/** True when every field is empty or whitespace: a blank record, which readers skip. */
export function isBlankRecord(fields: readonly string[]): boolean {
  for (const field of fields) if (field.trim() !== '') return false;
  return true;
}

/** Drops fields past the header's `width` when they are all blank (exports pad rows with empty cells). */
export function dropBlankTail(fields: string[], width: number): void {
  if (fields.length > width && isBlankRecord(fields.slice(width))) fields.length = width;
}

/** A source with no header at all (zero bytes, or only blank lines). */
export class EmptySourceError extends Error {
  override name = 'EmptySourceError';
  constructor(format: 'csv' | 'jsonl') {
    super(
      format === 'csv'
        ? 'the file is empty: it has no header row'
        : 'the file is empty: it has no JSON object on any line',
    );
  }
}

/** A source whose bytes cannot be read as the format at all (file-level, so the file is quarantined). */
export class SourceFormatError extends Error {
  override name = 'SourceFormatError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
