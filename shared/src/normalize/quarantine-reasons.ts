/**
 * Why a whole chunk is quarantined instead of written: the file cannot be read
 * or mapped at all, a workbook holds no sheet of the dataset, or too many of its
 * rows were rejected. Each reason is a message a data engineer can act on.
 */
import type { DatasetContract } from '../datasets/contract';
import { DEFAULT_MAX_REJECTED_SHARE } from '../datasets/contract';
import { EmptySourceError, SourceFormatError } from '../formats/records';
import type { SheetReport } from '../formats/xlsx';
import { HeaderError } from './header-plan';

/** Below this many rows a reject share says little (two bad rows of three). */
const MIN_ROWS_FOR_REJECT_SHARE = 20;

/** Errors that mean the file itself cannot be processed (quarantine it), as opposed to transient ones (throw, SQS retries). */
export function fileLevelReason(error: unknown): string | undefined {
  if (error instanceof HeaderError || error instanceof EmptySourceError || error instanceof SourceFormatError)
    return error.message;
  return undefined;
}

/** Why a workbook gave no rows of `dataset`: each sheet by position and what it was instead (never a name or cell content). */
export function noSheetFor(dataset: string, sheets: readonly SheetReport[]): string {
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
export function tooManyRejected(
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
