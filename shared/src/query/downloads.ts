/**
 * A whole execution result as a file to download: CSV (RFC 4180, UTF-8 with
 * a BOM so Excel reads it as UTF-8) or an Excel workbook written with
 * exceljs's streaming writer (typed cells, header row frozen). Suppressed
 * cells stay empty in both. Where the store gives URLs (S3), the file is put
 * in the query results bucket and the caller gets a short-lived presigned
 * URL; elsewhere (the local lake) the file is the response, bounded by what an
 * API Gateway response can carry.
 */
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import type { LakeDeps } from '../ports';
import type { ExecutionOptions, ExecutionRecord, CellValue } from './executions';
import { allResultPages, ExecutionRequestError } from './executions';
import { csvRecords, engineTimestamp } from './format';
import type { ResultColumn } from './named-query';

export type DownloadFormat = 'csv' | 'xlsx';

/** Largest file returned in a response: an API Gateway response carries 10 MB, and a Lambda's 6 MB once base64-encoded. */
export const MAX_INLINE_DOWNLOAD_BYTES = 4 * 1024 * 1024;
/** Largest file put behind a URL: built in the function's memory (1 GB), so bounded well below it. */
export const MAX_URL_DOWNLOAD_BYTES = 256 * 1024 * 1024;
/** How long a download URL works. */
export const DOWNLOAD_URL_SECONDS = 15 * 60;

export interface Download {
  fileName: string;
  contentType: string;
  body: Buffer;
  /** Result rows in the file. */
  rows: number;
}

const CONTENT_TYPES: Record<DownloadFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

function tooLarge(maxBytes: number): never {
  // 'invalid', not 'too_large': the request is fine, the form it asks for does not suit this result.
  throw new ExecutionRequestError(
    'invalid',
    'result_too_large',
    `the result is larger than ${maxBytes / 2 ** 20} MiB as a file; read it in JSON pages (GET /v1/executions/{id}/results?pageSize=1000) or narrow the query`,
  );
}

async function csvFile(
  rows: AsyncIterable<CellValue[]>,
  columns: readonly ResultColumn[],
  maxBytes: number,
): Promise<Buffer> {
  const parts: Buffer[] = [Buffer.from(`\ufeff${csvRecords([columns.map((c) => c.name)])}`, 'utf8')];
  let size = parts[0]?.length ?? 0;
  for await (const row of rows) {
    const line = Buffer.from(csvRecords([row]), 'utf8');
    size += line.length;
    if (size > maxBytes) tooLarge(maxBytes);
    parts.push(line);
  }
  return Buffer.concat(parts);
}

/** A cell as Excel should hold it: numbers as numbers, dates and timestamps as dates, text as text. */
function excelValue(value: CellValue, column: ResultColumn): ExcelJS.CellValue {
  if (value === null) return null;
  if ((column.type === 'date' || column.type === 'timestamp') && typeof value === 'string') {
    return engineTimestamp(value) ?? value;
  }
  return value;
}

async function xlsxFile(
  rows: AsyncIterable<CellValue[]>,
  columns: readonly ResultColumn[],
  sheetName: string,
  maxBytes: number,
): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  let size = 0;
  out.on('data', (chunk: Buffer) => {
    size += chunk.length;
    chunks.push(chunk);
  });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: true });
  const sheet = workbook.addWorksheet(sheetName.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map((c) => ({
    header: c.name,
    key: c.name,
    width: Math.min(40, Math.max(12, c.name.length + 2)),
    ...(c.type === 'date'
      ? { style: { numFmt: 'yyyy-mm-dd' } }
      : c.type === 'timestamp'
        ? { style: { numFmt: 'yyyy-mm-dd hh:mm:ss' } }
        : {}),
  }));
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).commit();
  for await (const row of rows) {
    sheet.addRow(row.map((value, i) => excelValue(value, columns[i] as ResultColumn))).commit();
    if (size > maxBytes) tooLarge(maxBytes);
  }
  sheet.commit();
  await workbook.commit();
  const body = Buffer.concat(chunks);
  if (body.length > maxBytes) tooLarge(maxBytes);
  return body;
}

/** The whole result of a SUCCEEDED execution as a CSV or Excel file of at most `maxBytes`. */
export async function downloadResult(
  deps: Pick<LakeDeps, 'engine'>,
  record: ExecutionRecord,
  format: DownloadFormat,
  options: ExecutionOptions,
  maxBytes = MAX_INLINE_DOWNLOAD_BYTES,
): Promise<Download> {
  const pages = allResultPages(deps, record, options);
  const first = await pages.next();
  if (first.done === true) throw new Error('an execution result has at least one page');
  const columns = first.value.columns;
  let count = 0;
  async function* rows(): AsyncGenerator<CellValue[]> {
    for (const row of first.value.rows) {
      count++;
      yield row;
    }
    for await (const page of pages) {
      for (const row of page.rows) {
        count++;
        yield row;
      }
    }
  }
  const body =
    format === 'csv'
      ? await csvFile(rows(), columns, maxBytes)
      : await xlsxFile(rows(), columns, record.query, maxBytes);
  return {
    fileName: `${record.query}-${record.executionId}.${format}`,
    contentType: CONTENT_TYPES[format],
    body,
    rows: count,
  };
}

export type DeliveredDownload =
  | { kind: 'file'; file: Download }
  | { kind: 'url'; url: string; expiresAt: string; fileName: string; contentType: string; rows: number };

/**
 * The download as the caller gets it: a presigned URL to the file in the
 * query results bucket (`downloads/<execution id>.<format>`) where the store
 * makes URLs, else the file itself.
 */
export async function deliverDownload(
  deps: Pick<LakeDeps, 'engine' | 'store' | 'names' | 'clock'>,
  record: ExecutionRecord,
  format: DownloadFormat,
  options: ExecutionOptions,
): Promise<DeliveredDownload> {
  const presign = deps.store.presignGet?.bind(deps.store);
  if (presign === undefined) return { kind: 'file', file: await downloadResult(deps, record, format, options) };
  const file = await downloadResult(deps, record, format, options, MAX_URL_DOWNLOAD_BYTES);
  const bucket = deps.names.buckets['query-results'];
  const key = `downloads/${record.executionId}.${format}`;
  await deps.store.put(bucket, key, file.body, { contentType: file.contentType });
  const url = await presign(bucket, key, { expiresSeconds: DOWNLOAD_URL_SECONDS, fileName: file.fileName });
  const expiresAt = new Date(deps.clock.now().getTime() + DOWNLOAD_URL_SECONDS * 1000).toISOString();
  return { kind: 'url', url, expiresAt, fileName: file.fileName, contentType: file.contentType, rows: file.rows };
}
