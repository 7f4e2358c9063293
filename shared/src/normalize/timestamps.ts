/**
 * Timestamps to UTC. Sources write ISO 8601 or `YYYY-MM-DD HH:MM[:SS[.fff]]`,
 * with `Z`, `±HH:MM`, `±HHMM` or `±HH`, or with no offset at all; local times
 * are resolved in the site's IANA time zone (datasets/time-zones.ts).
 * Hand-parsed (no regex, no allocation) because it runs once per row.
 */

/**
 * The result of parsing: a UTC instant, a wall-clock time without offset
 * (`ms` is the wall clock read as if it were UTC; resolve it with
 * `ZoneOffsets.localToUtc`), or nothing usable.
 */
export type TimestampKind = 'invalid' | 'utc' | 'local';

/** Milliseconds in a UTC day. */
export const DAY_MS = 86_400_000;

/** A reusable parse result, so the hot path allocates nothing. */
export interface TimestampParse {
  kind: TimestampKind;
  ms: number;
}

const digit = (text: string, i: number): number => {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
};

/** Reads `count` digits at `i`; -1 when any is missing. */
function digits(text: string, i: number, count: number): number {
  let value = 0;
  for (let k = 0; k < count; k++) {
    const d = digit(text, i + k);
    if (d < 0) return -1;
    value = value * 10 + d;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Parses `YYYY-MM-DD` (also `YYYY/MM/DD`) into its parts; returns the epoch day's
 * UTC midnight in ms, or NaN when the text is not a real calendar date.
 */
export function parseDateParts(text: string, start = 0): number {
  const year = digits(text, start, 4);
  const sep = text.charCodeAt(start + 4);
  if (year < 0 || (sep !== 45 && sep !== 47) || text.charCodeAt(start + 7) !== sep) return NaN;
  const month = digits(text, start + 5, 2);
  const day = digits(text, start + 8, 2);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  return Date.UTC(year, month - 1, day);
}

/**
 * Parses a trimmed timestamp into `out`. Accepts a date alone (midnight), `T` or
 * a space between date and time, seconds and fractions optional (`.` or `,`),
 * then optionally a space and `Z`/`UTC` or an offset up to ±14:00.
 */
export function parseTimestamp(text: string, out: TimestampParse): void {
  out.kind = 'invalid';
  const day = parseDateParts(text, 0);
  if (Number.isNaN(day)) return;
  let ms = day;
  let i = 10;
  const n = text.length;
  if (i < n && (text.charCodeAt(i) === 84 || text.charCodeAt(i) === 116 || text.charCodeAt(i) === 32)) {
    const hour = digits(text, i + 1, 2);
    const minute = text.charCodeAt(i + 3) === 58 ? digits(text, i + 4, 2) : -1;
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return;
    ms += hour * 3_600_000 + minute * 60_000;
    i += 6;
    if (text.charCodeAt(i) === 58) {
      const second = digits(text, i + 1, 2);
      if (second < 0 || second > 59) return;
      ms += second * 1000;
      i += 3;
      const mark = text.charCodeAt(i);
      if (mark === 46 || mark === 44) {
        i++;
        let scale = 100;
        let fraction = 0;
        const begin = i;
        while (i < n && digit(text, i) >= 0) {
          fraction += digit(text, i) * scale;
          scale /= 10;
          i++;
        }
        if (i === begin) return;
        ms += Math.floor(fraction);
      }
    }
  }
  if (i < n && text.charCodeAt(i) === 32) i++;
  if (i === n) {
    out.kind = 'local';
    out.ms = ms;
    return;
  }
  const c = text.charCodeAt(i);
  if ((c === 90 || c === 122) && i + 1 === n) {
    out.kind = 'utc';
    out.ms = ms;
    return;
  }
  if (c === 85 && text.charCodeAt(i + 1) === 84 && text.charCodeAt(i + 2) === 67 && i + 3 === n) {
    out.kind = 'utc';
    out.ms = ms;
    return;
  }
  if (c !== 43 && c !== 45) return;
  const sign = c === 43 ? 1 : -1;
  const hours = digits(text, i + 1, 2);
  if (hours < 0) return;
  let minutes = 0;
  let end = i + 3;
  if (end < n) {
    if (text.charCodeAt(end) === 58) end++;
    minutes = digits(text, end, 2);
    end += 2;
  }
  if (end !== n || minutes < 0 || minutes > 59 || hours * 60 + minutes > 14 * 60) return;
  out.kind = 'utc';
  out.ms = ms - sign * (hours * 3_600_000 + minutes * 60_000);
}
