/**
 * Which datasets a dropped file holds, told without reading it whole: the
 * dataset folder it was dropped under, the sheets of a workbook, or the header
 * row sniffed from the first bytes of a CSV or JSON Lines file.
 */
import { detectDatasetFromHeader, detectDatasetFromKey, detectDatasetOfSheet } from '../datasets/registry';
import { SourceFormatError } from '../formats/records';
import { readXlsx } from '../formats/xlsx';
import type { SourceFormat } from '../lake/messages';
import type { LakeDeps, ObjectInfo } from '../ports';

/** How many bytes are read to sniff a header: a header row longer than this is not a header. */
const SNIFF_BYTES = 64 * 1024;
function decodeHeaderBytes(bytes: Uint8Array): string {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  const body = bytes.subarray(start);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    // Exports from Windows spreadsheets are often windows-1252; a cut multi-byte character at the end is not fatal either.
    return new TextDecoder('windows-1252').decode(body);
  }
}

/** The first line of the text (a header row in quotes may not span lines for sniffing purposes). */
function firstLine(text: string): string {
  const end = text.search(/\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

/** Splits a CSV header row on its most frequent delimiter (`,`, `;` or tab), honouring double quotes. */
export function splitHeaderRow(line: string): string[] {
  const counts = new Map<string, number>([
    [',', 0],
    [';', 0],
    ['\t', 0],
  ]);
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && counts.has(char)) counts.set(char, (counts.get(char) ?? 0) + 1);
  }
  let delimiter = ',';
  let best = 0;
  for (const [candidate, count] of counts) {
    if (count > best) {
      delimiter = candidate;
      best = count;
    }
  }
  const cells: string[] = [];
  let cell = '';
  quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (char === '"') {
      if (quoted && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else quoted = !quoted;
    } else if (char === delimiter && !quoted) {
      cells.push(cell.trim());
      cell = '';
    } else cell += char;
  }
  cells.push(cell.trim());
  return cells;
}

/** The field names of the first JSON object of a JSON Lines (or JSON array) file; undefined when it has none. */
function jsonHeader(text: string): string[] | undefined {
  const trimmed = text.replace(/^\s*\[/, '');
  const line = trimmed.split(/\r?\n/).find((l) => l.trim() !== '');
  if (line === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(line.trim().replace(/,$/, ''));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return Object.keys(parsed);
  } catch {
    return undefined;
  }
  return undefined;
}

async function readPrefix(deps: Pick<LakeDeps, 'store'>, info: ObjectInfo): Promise<Uint8Array> {
  const end = Math.min(info.size, SNIFF_BYTES) - 1;
  const chunks: Buffer[] = [];
  for await (const chunk of await deps.store.get(info.bucket, info.key, { start: 0, end })) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

/** The dataset folder the key is under (`Vitals/2024/x.csv` -> vitals), if it names a known dataset. */
export function datasetFromPrefix(key: string): string | undefined {
  return key.includes('/') ? detectDatasetFromKey(key)?.name : undefined;
}

/** The datasets the workbook's visible sheets hold (by sheet name or header, below any title rows), in sheet order. */
async function datasetsOfWorkbook(deps: Pick<LakeDeps, 'store'>, info: ObjectInfo): Promise<string[]> {
  const found = new Set<string>();
  const isHeader = (fields: readonly string[], sheetName: string) => {
    const dataset = detectDatasetOfSheet(sheetName, fields)?.name;
    if (dataset !== undefined) found.add(dataset);
    return dataset !== undefined;
  };
  try {
    for await (const batch of readXlsx(await deps.store.get(info.bucket, info.key), { isHeader, headersOnly: true }))
      void batch;
  } catch (error) {
    // Not a readable workbook: no dataset, and the quarantine reason says so.
    if (error instanceof SourceFormatError) return [];
    throw error;
  }
  return [...found];
}

/**
 * The datasets a dropped file holds: its folder's, and for a workbook every
 * dataset one of its sheets holds; else the dataset its header row names.
 */
export async function datasetsOfDrop(
  deps: Pick<LakeDeps, 'store'>,
  info: ObjectInfo,
  format: SourceFormat,
): Promise<string[]> {
  const folder = datasetFromPrefix(info.key);
  if (format === 'xlsx')
    return [...new Set([...(folder !== undefined ? [folder] : []), ...(await datasetsOfWorkbook(deps, info))])];
  if (folder !== undefined) return [folder];
  const text = decodeHeaderBytes(await readPrefix(deps, info));
  const header = format === 'csv' ? splitHeaderRow(firstLine(text)) : jsonHeader(text);
  if (header === undefined || header.every((h) => h === '')) return [];
  const dataset = detectDatasetFromHeader(header)?.name;
  return dataset !== undefined ? [dataset] : [];
}
