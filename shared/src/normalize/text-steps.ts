/**
 * The steps of boolean and string columns: yes/no spellings, allowed values
 * (with their aliases), patterns, and the privacy treatment of the text.
 */
import type { ColumnSpec, CuratedValue } from '../datasets/contract';
import type { Tokenizer } from '../privacy/tokenize';
import { protectText } from './pii-protection';
import { emptyValue, type Invalid, type RowState, type Step, shownValue } from './row-state';
import { BOOLEANS, Lookup } from './values';

/** Compiles the step of a `boolean` column. */
export function booleanStep(spec: ColumnSpec, row: RowState): Step {
  const shown = shownValue(spec);
  const empty = emptyValue(spec, row);
  return (text): CuratedValue | Invalid => {
    if (text === '') return empty();
    const value = BOOLEANS.get(text);
    return value === undefined
      ? row.reject('type', `${shown(text)} is not a yes/no value (accepted: yes, no, true, false, y, n, 1, 0)`)
      : value;
  };
}

/** Compiles the step of a `string` column. */
export function stringStep(spec: ColumnSpec, row: RowState, tokenizer: Tokenizer): Step {
  const shown = shownValue(spec);
  const empty = emptyValue(spec, row);
  const allowed = spec.allowed;
  const lookup =
    allowed !== undefined
      ? new Lookup<string>([...allowed.map((v) => [v, v] as const), ...Object.entries(spec.valueAliases ?? {})])
      : undefined;
  const pattern = spec.pattern !== undefined ? new RegExp(spec.pattern) : undefined;
  const protect = protectText(spec, row, tokenizer);
  return (text): CuratedValue | Invalid => {
    if (text === '') return empty();
    let value = text;
    if (lookup !== undefined) {
      const canonical = lookup.get(text);
      if (canonical === undefined)
        return row.reject('allowed', `${shown(text)} is not one of ${(allowed ?? []).join(', ')}`);
      value = canonical;
    }
    if (pattern !== undefined && !pattern.test(value))
      return row.reject('pattern', `${shown(text)} does not match the expected format ${spec.pattern ?? ''}`);
    return protect(value);
  };
}
