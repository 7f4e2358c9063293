/**
 * The step of a numeric column: parse the number (decimal comma aware), convert
 * it from the unit its header or its row names to the contract's unit, round a
 * whole-number column, and check the range, with messages that show both units.
 */
import type { ColumnSpec, CuratedValue } from '../datasets/contract';
import { canonicalUnit, type Conversion, conversion } from '../datasets/units';
import { type Invalid, type RowState, type Step, emptyValue, shownValue } from './row-state';
import { excerpt, parseNumber } from './values';

/** How many distinct per-row unit spellings are remembered (a source has a handful; a broken one, any number). */
const UNIT_CACHE_LIMIT = 1000;

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 1000) / 1000);
}

/** A converted value without binary noise (37.00000000000001 -> 37). */
function tidy(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/**
 * Compiles the step of an `integer` or `double` column. `headerUnit` is the unit
 * the column's header names; `unitField` the field of its per-row unit (-1: none).
 */
export function numberStep(
  spec: ColumnSpec,
  headerUnit: string | undefined,
  unitField: number,
  row: RowState,
  decimalComma: boolean,
): Step {
  const name = spec.name;
  const personal = spec.pii !== 'none';
  const shown = shownValue(spec);
  const empty = emptyValue(spec, row);
  const integer = spec.type === 'integer';
  const unit = spec.unit;
  const fixed = unit !== undefined && headerUnit !== undefined ? conversion(headerUnit, unit) : undefined;
  const fromUnit = unit !== undefined ? (headerUnit ?? unit) : undefined;
  const accepted = unit !== undefined ? [unit, ...(spec.acceptedUnits ?? [])] : [];
  const rowUnits = new Map<string, { unit: string; convert: Conversion } | null>();
  const unitColumn = spec.unitColumn ?? 'unit';
  const range = spec.range;
  return (text): CuratedValue | Invalid => {
    if (text === '') return empty();
    let value = parseNumber(text, decimalComma);
    if (Number.isNaN(value) || !Number.isFinite(value)) return row.reject('type', `${shown(text)} is not a number`);
    let convert = fixed;
    let sourceUnit = fromUnit;
    if (unitField >= 0 && unit !== undefined) {
      const written = (row.record[unitField] ?? '').trim();
      if (written !== '') {
        let resolved = rowUnits.get(written);
        if (resolved === undefined) {
          const canonical = canonicalUnit(written);
          const fn = canonical !== undefined && accepted.includes(canonical) ? conversion(canonical, unit) : undefined;
          resolved = canonical !== undefined && fn !== undefined ? { unit: canonical, convert: fn } : null;
          if (rowUnits.size < UNIT_CACHE_LIMIT) rowUnits.set(written, resolved);
        }
        if (resolved === null)
          return row.reject(
            'unit',
            `${unitColumn} '${excerpt(written)}' is not a unit accepted for ${name} (accepted: ${accepted.join(', ')})`,
          );
        convert = resolved.convert;
        sourceUnit = resolved.unit;
      }
    }
    const written = value;
    if (convert !== undefined && sourceUnit !== unit) value = tidy(convert(value));
    if (integer && !Number.isInteger(value)) {
      if (sourceUnit === unit) return row.reject('type', `${shown(text)} is not a whole number`);
      value = Math.round(value);
    }
    if (range !== undefined && (value < range.min || value > range.max)) {
      const unitText = unit !== undefined ? ` ${unit}` : '';
      const what = personal
        ? name
        : sourceUnit !== unit
          ? `${name} ${formatNumber(written)} ${sourceUnit ?? ''} (${formatNumber(value)}${unitText})`
          : `${name} ${formatNumber(value)}`;
      return row.reject('range', `${what} is outside ${range.min}..${range.max}${unitText}`);
    }
    return value;
  };
}
