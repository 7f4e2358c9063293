/**
 * EventBridge schedule expressions: `rate(...)` and AWS's six-field `cron(...)`,
 * in UTC as EventBridge evaluates them. Pure, so the local scheduler and the
 * connector dispatcher (which decides which connector is due) share one reading.
 */

/** A schedule expression EventBridge would refuse; the message says which part and why. */
export class ScheduleExpressionError extends Error {
  override name = 'ScheduleExpressionError';
  constructor(expression: string, why: string) {
    super(`schedule expression "${expression}": ${why}`);
  }
}

const MINUTE = 60_000;
const RATE_UNITS: Record<string, number> = { minute: MINUTE, hour: 60 * MINUTE, day: 24 * 60 * MINUTE };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

type DayTest = (year: number, month: number, day: number) => boolean;

interface CronSpec {
  minutes: Set<number>;
  hours: Set<number>;
  months: Set<number>;
  years: Set<number>;
  day: DayTest;
}

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** AWS numbers weekdays 1 (SUN) to 7 (SAT). */
const weekday = (year: number, month: number, day: number) => new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

function parseSet(
  expression: string,
  field: string,
  text: string,
  min: number,
  max: number,
  names: string[] = [],
): Set<number> {
  const value = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const n = named >= 0 ? named + 1 : /^\d+$/.test(token) ? Number(token) : NaN;
    if (!Number.isInteger(n) || n < min || n > max)
      throw new ScheduleExpressionError(expression, `${field} value "${token}" is outside ${min}-${max}`);
    return n;
  };
  const result = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1)
      throw new ScheduleExpressionError(expression, `${field} step "${stepText ?? ''}" must be a positive integer`);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [from, to] = [value(a), value(b)];
      if (from > to) throw new ScheduleExpressionError(expression, `${field} range "${range}" runs backwards`);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let n = from; n <= to; n += step) result.add(n);
  }
  return result;
}

function parseCron(expression: string, body: string): CronSpec {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6)
    throw new ScheduleExpressionError(
      expression,
      'cron needs six fields: minutes hours day-of-month month day-of-week year',
    );
  const [min = '', hour = '', dom = '', month = '', dow = '', year = ''] = fields;
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleExpressionError(expression, 'exactly one of day-of-month and day-of-week must be "?"');
  }
  let day: DayTest;
  if (dom !== '?') {
    if (dom === 'L') day = (y, m, d) => d === daysInMonth(y, m);
    else if (/W/.test(dom))
      throw new ScheduleExpressionError(expression, 'the W (nearest weekday) wildcard is not supported locally');
    else {
      const days = parseSet(expression, 'day-of-month', dom, 1, 31);
      day = (_y, _m, d) => days.has(d);
    }
  } else {
    const nth = /^(\w+)#([1-5])$/.exec(dow);
    const last = /^(\w+)L$/.exec(dow);
    if (nth !== null) {
      const wanted = [...parseSet(expression, 'day-of-week', nth[1] ?? '', 1, 7, DAYS)][0];
      const n = Number(nth[2]);
      day = (y, m, d) => weekday(y, m, d) === wanted && Math.ceil(d / 7) === n;
    } else if (last !== null || dow === 'L') {
      const wanted = dow === 'L' ? 7 : [...parseSet(expression, 'day-of-week', last?.[1] ?? '', 1, 7, DAYS)][0];
      day = (y, m, d) => weekday(y, m, d) === wanted && d + 7 > daysInMonth(y, m);
    } else {
      const days = parseSet(expression, 'day-of-week', dow, 1, 7, DAYS);
      day = (y, m, d) => days.has(weekday(y, m, d));
    }
  }
  return {
    minutes: parseSet(expression, 'minutes', min, 0, 59),
    hours: parseSet(expression, 'hours', hour, 0, 23),
    months: parseSet(expression, 'month', month, 1, 12, MONTHS),
    years: parseSet(expression, 'year', year, 1970, 2199),
    day,
  };
}

function parseRate(expression: string, body: string): number {
  const match = /^\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*$/.exec(body);
  if (match === null) throw new ScheduleExpressionError(expression, 'rate needs "<value> <minute(s)|hour(s)|day(s)>"');
  const value = Number(match[1]);
  const unit = match[2] ?? '';
  if (value < 1) throw new ScheduleExpressionError(expression, 'the rate value must be at least 1');
  if ((value === 1) !== !unit.endsWith('s')) {
    throw new ScheduleExpressionError(
      expression,
      value === 1
        ? `use the singular unit for 1 ("1 ${unit.replace(/s$/, '')}")`
        : `use the plural unit for ${value} ("${unit}s")`,
    );
  }
  return value * (RATE_UNITS[unit.replace(/s$/, '')] ?? MINUTE);
}

/** Checks an expression without computing anything; throws ScheduleExpressionError. */
export function parseScheduleExpression(
  expression: string,
): { kind: 'rate'; periodMs: number } | { kind: 'cron'; spec: CronSpec } {
  const match = /^(rate|cron)\((.*)\)$/.exec(expression.trim());
  if (match === null) throw new ScheduleExpressionError(expression, 'expected rate(...) or cron(...)');
  return match[1] === 'rate'
    ? { kind: 'rate', periodMs: parseRate(expression, match[2] ?? '') }
    : { kind: 'cron', spec: parseCron(expression, match[2] ?? '') };
}

/**
 * The first time strictly after `after` at which `expression` fires, in UTC.
 * A rate fires every period from `anchor` (when the rule was created); without
 * an anchor, `after` is taken as the last firing.
 */
export function nextFireTime(expression: string, after: Date, anchor?: Date): Date {
  const parsed = parseScheduleExpression(expression);
  if (parsed.kind === 'rate') {
    if (anchor === undefined) return new Date(after.getTime() + parsed.periodMs);
    const periods = Math.floor((after.getTime() - anchor.getTime()) / parsed.periodMs) + 1;
    return new Date(anchor.getTime() + Math.max(1, periods) * parsed.periodMs);
  }
  const { spec } = parsed;
  let t = new Date(Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE);
  const lastYear = Math.max(...spec.years);
  for (;;) {
    const y = t.getUTCFullYear();
    const m = t.getUTCMonth() + 1;
    const d = t.getUTCDate();
    if (y > lastYear) throw new ScheduleExpressionError(expression, `never fires after ${after.toISOString()}`);
    if (!spec.years.has(y)) t = new Date(Date.UTC(y + 1, 0, 1));
    else if (!spec.months.has(m)) t = new Date(Date.UTC(y, m, 1));
    else if (!spec.day(y, m, d)) t = new Date(Date.UTC(y, m - 1, d + 1));
    else if (!spec.hours.has(t.getUTCHours())) t = new Date(Date.UTC(y, m - 1, d, t.getUTCHours() + 1));
    else if (!spec.minutes.has(t.getUTCMinutes())) t = new Date(t.getTime() + MINUTE);
    else return t;
  }
}
