/**
 * The row being normalized, shared by the compiled column steps: its fields, its
 * site once read, the column in progress and the problems found so far. One per
 * normalizer suffices: `normalize` is synchronous, so rows never overlap.
 */
import type { ColumnSpec, CuratedValue, Site } from '../datasets/contract';
import { excerpt } from './values';

/** What a step returns for a value it did not accept (the reason is already recorded). */
export const INVALID = Symbol('invalid');
export type Invalid = typeof INVALID;

/** One column's parse, conversion, validation and protection of a trimmed field. */
export type Step = (text: string) => CuratedValue | Invalid;

/** Why one value of a row was not accepted. `reason` never holds an identifier or other PII. */
export interface RowRejection {
  line: number;
  column?: string;
  /** `required`, `type`, `range`, `allowed`, `pattern`, `unit`, `time_zone`, or a row rule's id. */
  rule: string;
  reason: string;
}

/** One contract column the source has: where its field is read and where its value goes. */
export interface ColumnPlan {
  spec: ColumnSpec;
  /** Index of `spec` in the contract's columns (the failure marks are kept per column). */
  index: number;
  field: number;
  /** Index in the values array; -1 for the site column (it lives in the path). */
  slot: number;
  step: Step;
}

export class RowState {
  record: readonly string[] = [];
  line = 0;
  /** The row's number in this normalizer: a failure mark of an earlier row is simply a smaller number. */
  serial = 0;
  site: Site | undefined = undefined;
  rejections: RowRejection[] | undefined = undefined;
  /** The column currently being processed, so steps can report against it. */
  current: ColumnPlan | undefined = undefined;
  private readonly failedAt: Float64Array;

  constructor(columnCount: number) {
    this.failedAt = new Float64Array(columnCount);
  }

  /** Starts the next row. */
  begin(record: readonly string[], line: number): void {
    this.record = record;
    this.line = line;
    this.serial += 1;
    this.site = undefined;
    this.rejections = undefined;
  }

  /** Records why the current column's value was not accepted and marks the column failed. */
  reject(rule: string, reason: string): Invalid {
    const plan = this.current;
    if (plan !== undefined) this.failedAt[plan.index] = this.serial;
    (this.rejections ??= []).push({ line: this.line, ...(plan ? { column: plan.spec.name } : {}), rule, reason });
    return INVALID;
  }

  /** Marks the current column failed without a message of its own (its cause was already reported). */
  fail(): Invalid {
    const plan = this.current;
    if (plan !== undefined) this.failedAt[plan.index] = this.serial;
    return INVALID;
  }

  /** Whether the contract column at `index` failed in the current row. */
  failed(index: number): boolean {
    return this.failedAt[index] === this.serial;
  }
}

/** How a column's value appears in a message: a personal value by its column's name only, never its text. */
export function shownValue(spec: ColumnSpec): (text: string) => string {
  const name = spec.name;
  return spec.pii !== 'none' ? () => name : (text) => `${name} '${excerpt(text)}'`;
}

/** What an empty field of the column gives: null, or a `required` rejection. */
export function emptyValue(spec: ColumnSpec, row: RowState): () => CuratedValue | Invalid {
  const name = spec.name;
  return spec.required === true ? () => row.reject('required', `${name} is required but empty`) : () => null;
}
