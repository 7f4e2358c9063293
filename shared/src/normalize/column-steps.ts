/**
 * Compiles each contract column into the one function that turns its trimmed
 * field into a curated value, by the column's type.
 */
import type { ColumnSpec } from '../datasets/contract';
import type { ZoneOffsets } from '../datasets/time-zones';
import type { Tokenizer } from '../privacy/tokenize';
import { numberStep } from './number-step';
import type { RowState, Step } from './row-state';
import { booleanStep, stringStep } from './text-steps';
import { dateStep, timestampStep } from './time-steps';

/** What the steps of one source share. */
export interface StepContext {
  row: RowState;
  /** The source writes `36,6` for 36.6. */
  decimalComma: boolean;
  /** The date ages are computed at for top-coding. */
  asOf: Date;
  tokenizer: Tokenizer;
  zones: ReadonlyMap<string, ZoneOffsets>;
}

/**
 * The step of `spec` for this source: `headerUnit` is the unit its header names,
 * `unitField` the field of its per-row unit (-1: none).
 */
export function columnStep(
  spec: ColumnSpec,
  headerUnit: string | undefined,
  unitField: number,
  context: StepContext,
): Step {
  switch (spec.type) {
    case 'integer':
    case 'double':
      return numberStep(spec, headerUnit, unitField, context.row, context.decimalComma);
    case 'boolean':
      return booleanStep(spec, context.row);
    case 'date':
      return dateStep(spec, context.row, context.asOf);
    case 'timestamp':
      return timestampStep(spec, context.row, context.zones);
    case 'string':
      return stringStep(spec, context.row, context.tokenizer);
  }
}
