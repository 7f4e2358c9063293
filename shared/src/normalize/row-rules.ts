/**
 * The contract's row rules (checks across columns, such as systolic above
 * diastolic): a failing rule rejects the row or flags it in `_quality_flags`.
 */
import type { CuratedValue, DatasetContract, RowRule, RuleValue } from '../datasets/contract';
import type { RowState } from './row-state';

/** A rule with the value slots it reads, and a reusable array for their values. */
export interface CompiledRowRule {
  rule: RowRule;
  slots: number[];
  args: RuleValue[];
}

/**
 * The rules of `contract`, with the value slots they read; only those whose
 * columns this source has (a rule on an absent column never fails).
 */
export function compileRowRules(contract: DatasetContract, slotOf: ReadonlyMap<string, number>): CompiledRowRule[] {
  return (contract.rowRules ?? []).flatMap((rule) => {
    const slots = rule.columns.map((name) => slotOf.get(name) ?? -1);
    return slots.every((slot) => slot >= 0) ? [{ rule, slots, args: new Array<RuleValue>(slots.length) }] : [];
  });
}

/**
 * Checks a row's values against the rules whose values are all present: a
 * rejecting rule adds to the row's rejections; returns the ids of the flagging
 * rules that failed (comma-separated), or undefined.
 */
export function checkRowRules(
  rules: readonly CompiledRowRule[],
  values: readonly CuratedValue[],
  line: number,
  row: RowState,
): string | undefined {
  let flags: string | undefined;
  for (const { rule, slots, args } of rules) {
    let present = true;
    for (let k = 0; k < slots.length && present; k++) {
      const value = values[slots[k] as number];
      if (value === null || value === undefined) present = false;
      else args[k] = value;
    }
    if (!present || rule.check(args)) continue;
    if (rule.severity === 'flag') flags = flags === undefined ? rule.id : `${flags},${rule.id}`;
    else
      (row.rejections ??= []).push({
        line,
        column: rule.columns.join('+'),
        rule: rule.id,
        reason: rule.description,
      });
  }
  return flags;
}
