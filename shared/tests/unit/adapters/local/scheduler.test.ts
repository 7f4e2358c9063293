import {
  nextFireTime,
  parseScheduleExpression,
  ScheduleExpressionError,
} from '../../../../src/adapters/local/scheduler';

const at = (iso: string) => new Date(iso);

describe('nextFireTime', () => {
  it('fires a rate one period after the last firing, or on the grid of its anchor', () => {
    expect(nextFireTime('rate(5 minutes)', at('2024-03-01T10:00:00Z')).toISOString()).toBe('2024-03-01T10:05:00.000Z');
    expect(nextFireTime('rate(1 hour)', at('2024-03-01T10:20:00Z'), at('2024-03-01T09:00:00Z')).toISOString()).toBe(
      '2024-03-01T11:00:00.000Z',
    );
    expect(nextFireTime('rate(2 days)', at('2024-03-01T00:00:00Z')).toISOString()).toBe('2024-03-03T00:00:00.000Z');
  });

  it('fires cron(0 2 * * ? *) at 02:00 UTC on the following day once 02:00 has passed', () => {
    expect(nextFireTime('cron(0 2 * * ? *)', at('2024-03-01T02:00:00Z')).toISOString()).toBe(
      '2024-03-02T02:00:00.000Z',
    );
    expect(nextFireTime('cron(0 2 * * ? *)', at('2024-03-01T01:59:30Z')).toISOString()).toBe(
      '2024-03-01T02:00:00.000Z',
    );
  });

  it('understands steps, ranges and lists of minutes and hours', () => {
    expect(nextFireTime('cron(0/15 * * * ? *)', at('2024-03-01T10:07:00Z')).toISOString()).toBe(
      '2024-03-01T10:15:00.000Z',
    );
    expect(nextFireTime('cron(10,40 8-17 * * ? *)', at('2024-03-01T17:41:00Z')).toISOString()).toBe(
      '2024-03-02T08:10:00.000Z',
    );
  });

  it('counts days of the week from 1 = SUN and accepts their names', () => {
    // 2024-03-01 is a Friday; the next Monday is 2024-03-04.
    expect(nextFireTime('cron(0 9 ? * MON *)', at('2024-03-01T12:00:00Z')).toISOString()).toBe(
      '2024-03-04T09:00:00.000Z',
    );
    expect(nextFireTime('cron(0 9 ? * 2 *)', at('2024-03-01T12:00:00Z')).toISOString()).toBe(
      '2024-03-04T09:00:00.000Z',
    );
    expect(nextFireTime('cron(0 18 ? * MON-FRI *)', at('2024-03-01T18:00:00Z')).toISOString()).toBe(
      '2024-03-04T18:00:00.000Z',
    );
  });

  it('fires on the last day of the month with L, leap years included', () => {
    expect(nextFireTime('cron(0 0 L * ? *)', at('2024-02-10T00:00:00Z')).toISOString()).toBe(
      '2024-02-29T00:00:00.000Z',
    );
    expect(nextFireTime('cron(0 0 L * ? *)', at('2023-02-28T00:00:00Z')).toISOString()).toBe(
      '2023-03-31T00:00:00.000Z',
    );
  });

  it('fires on the nth weekday of the month with #', () => {
    // Second Tuesday of April 2024 is the 9th.
    expect(nextFireTime('cron(30 6 ? * TUE#2 *)', at('2024-03-20T00:00:00Z')).toISOString()).toBe(
      '2024-04-09T06:30:00.000Z',
    );
  });

  it('honours months and years, and says so when a schedule never fires again', () => {
    expect(nextFireTime('cron(0 0 1 JAN ? 2026)', at('2024-06-01T00:00:00Z')).toISOString()).toBe(
      '2026-01-01T00:00:00.000Z',
    );
    expect(() => nextFireTime('cron(0 0 1 JAN ? 2020)', at('2024-06-01T00:00:00Z'))).toThrow(/never fires/);
  });

  it('rejects expressions EventBridge would refuse, naming the problem', () => {
    expect(() => parseScheduleExpression('cron(0 2 * * * *)')).toThrow(/exactly one of day-of-month and day-of-week/);
    expect(() => parseScheduleExpression('cron(0 2 * *)')).toThrow(/six fields/);
    expect(() => parseScheduleExpression('cron(61 2 * * ? *)')).toThrow(/minutes value "61" is outside 0-59/);
    expect(() => parseScheduleExpression('rate(1 minutes)')).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression('rate(5 minute)')).toThrow(/plural/);
    expect(() => parseScheduleExpression('every 5 minutes')).toThrow(/rate\(\.\.\.\) or cron/);
  });
});
