/**
 * The rejects file of a chunk: one JSON line per rejected row with its reasons
 * and its values after privacy treatment, staged locally and uploaded once.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { CuratedValue } from '../datasets/contract';
import type { ProblemItem, RowItem } from '../formats/records';
import type { RowRejection } from './row-state';

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

export interface RejectsFile {
  readonly path: string;
  readonly count: number;
  write(record: RejectRecord): void;
  /** Flushes and closes the file; later calls do nothing. */
  close(): void;
}

/** Opens a rejects file at `path`, written in batches: rejects can be as many as the rows. */
export function openRejectsFile(path: string): RejectsFile {
  const fd = openSync(path, 'w');
  let pending: string[] = [];
  let count = 0;
  let open = true;
  const flush = () => {
    if (pending.length > 0) writeSync(fd, pending.join(''));
    pending = [];
  };
  return {
    path,
    get count() {
      return count;
    },
    write(record) {
      pending.push(`${JSON.stringify(record)}\n`);
      count++;
      if (pending.length >= 1024) flush();
    },
    close() {
      if (!open) return;
      open = false;
      flush();
      closeSync(fd);
    },
  };
}

/** The reject of a record the reader could not make a row of, or that came before any header. */
export function unreadRecordReject(file: string, item: ProblemItem | RowItem): RejectRecord {
  return {
    file,
    ...(item.kind === 'problem' && item.sheet !== undefined ? { sheet: item.sheet } : {}),
    line: item.record,
    physicalLine: item.line,
    rule: item.kind === 'problem' ? item.rule : 'no_header',
    reason: item.kind === 'problem' ? item.reason : `record ${item.record} came before any header`,
    values: {},
  };
}

/** The reject of a row the normalizer did not accept: its first problem, and all of them when there are more. */
export function rejectedRowReject(
  file: string,
  item: RowItem,
  rejections: readonly RowRejection[],
  values: Record<string, CuratedValue>,
): RejectRecord {
  const [first, ...more] = rejections;
  return {
    file,
    ...(item.sheet !== undefined ? { sheet: item.sheet } : {}),
    line: item.record,
    physicalLine: item.line,
    ...(first?.column !== undefined ? { column: first.column } : {}),
    rule: first?.rule ?? 'invalid',
    reason: first?.reason ?? `record ${item.record} was rejected`,
    ...(more.length > 0
      ? {
          problems: rejections.map((r) => ({
            ...(r.column !== undefined ? { column: r.column } : {}),
            rule: r.rule,
            reason: r.reason,
          })),
        }
      : {}),
    values,
  };
}
