/**
 * Typed value parsing for source text: numbers, booleans, and allowed-value
 * lookups. Built for the per-row hot path: lookups are precomputed maps, and
 * strings are only copied when a value actually needs cleaning.
 */

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const GROUPING_SPACES = /[\s\u00a0\u202f]/g;
const DOTS = /\./g;

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const DOT = 46;
const MINUS = 45;

/**
 * The value of `text` when it is a plain decimal (`72`, `-3`, `36.6`), the form of
 * nearly every number in a device export, checked without a regex; undefined for
 * anything else, which the general path then handles.
 */
function plainDecimal(text: string): number | undefined {
  const length = text.length;
  let i = length > 0 && text.charCodeAt(0) === MINUS ? 1 : 0;
  if (i === length) return undefined;
  let digits = 0;
  let dots = 0;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= DIGIT_0 && c <= DIGIT_9) digits++;
    else if (c === DOT && dots === 0) dots++;
    else return undefined;
  }
  return digits > 0 ? Number(text) : undefined;
}

/**
 * A number written as text: digit groups separated by spaces (`1 234.5`), and a
 * decimal comma when `decimalComma` (then dots are grouping: `1.234,5`).
 * Returns NaN for anything else (`0x10`, `Infinity`, `72 bpm`, `1,5` without decimalComma).
 */
export function parseNumber(text: string, decimalComma: boolean): number {
  const plain = plainDecimal(text);
  if (plain !== undefined) return plain;
  let t = text;
  if (t.indexOf(' ') >= 0 || t.indexOf('\u00a0') >= 0 || t.indexOf('\u202f') >= 0) t = t.replace(GROUPING_SPACES, '');
  if (decimalComma && t.indexOf(',') >= 0) t = t.replace(DOTS, '').replace(',', '.');
  return NUMBER.test(t) ? Number(t) : NaN;
}

/**
 * A case-insensitive lookup from source spellings to canonical values. The
 * canonical, lower- and upper-case spellings are stored up front so the common
 * case needs no `toLowerCase()` copy.
 */
export class Lookup<T> {
  private readonly map = new Map<string, T>();

  constructor(entries: Iterable<readonly [string, T]>) {
    for (const [spelling, value] of entries) {
      const lower = spelling.trim().toLowerCase();
      for (const s of [spelling, lower, lower.toUpperCase(), lower.charAt(0).toUpperCase() + lower.slice(1)])
        if (!this.map.has(s)) this.map.set(s, value);
    }
  }

  get(text: string): T | undefined {
    return this.map.get(text) ?? this.map.get(text.toLowerCase());
  }
}

/** Boolean spellings: yes/no, true/false, y/n, t/f, 1/0. */
export const BOOLEANS = new Lookup<boolean>([
  ['true', true],
  ['yes', true],
  ['y', true],
  ['t', true],
  ['1', true],
  ['false', false],
  ['no', false],
  ['n', false],
  ['f', false],
  ['0', false],
]);

/** `text` cut to `max` characters, for echoing a non-personal value in a message. */
export function excerpt(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
