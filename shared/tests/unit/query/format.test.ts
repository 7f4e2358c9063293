import { describe, expect, it } from '@jest/globals';
import { engineTimestamp, formatResult, resultObjects, type ResultSet } from '../../../src/query/format';

const result: ResultSet = {
  columns: [
    { name: 'patient_token', type: 'varchar' },
    { name: 'readings', type: 'bigint' },
    { name: 'avg_hr', type: 'double' },
    { name: 'note', type: 'varchar' },
  ],
  rows: [
    ['ab12', '3', '71.5', 'said "fine", went home'],
    ['cd34', '12', null, 'two\nlines'],
  ],
};

describe('formatResult', () => {
  it('writes RFC 4180 CSV: CRLF line ends, quoted fields with commas, quotes or line breaks, NULL empty', () => {
    expect(formatResult(result, 'csv')).toBe(
      'patient_token,readings,avg_hr,note\r\nab12,3,71.5,"said ""fine"", went home"\r\ncd34,12,,"two\nlines"\r\n',
    );
  });

  it('writes JSON objects typed from the column types', () => {
    expect(JSON.parse(formatResult(result, 'json'))).toEqual([
      { patient_token: 'ab12', readings: 3, avg_hr: 71.5, note: 'said "fine", went home' },
      { patient_token: 'cd34', readings: 12, avg_hr: null, note: 'two\nlines' },
    ]);
  });

  it('keeps a bigint beyond 2^53 as text rather than losing digits', () => {
    expect(resultObjects({ columns: [{ name: 'n', type: 'bigint' }], rows: [['9007199254740993']] })).toEqual([
      { n: '9007199254740993' },
    ]);
  });

  it('aligns a text table, numbers to the right, line breaks escaped', () => {
    expect(formatResult(result, 'table')).toBe(
      [
        'patient_token | readings | avg_hr | note',
        '--------------+----------+--------+-----------------------',
        'ab12          |        3 |   71.5 | said "fine", went home',
        'cd34          |       12 |   NULL | two\\nlines',
        '(2 rows)',
        '',
      ].join('\n'),
    );
  });
});

describe('engineTimestamp', () => {
  it('reads timestamps and dates as DuckDB and Athena print them, UTC unless they carry an offset', () => {
    expect(engineTimestamp('2026-11-27 08:00:00')?.toISOString()).toBe('2026-11-27T08:00:00.000Z');
    expect(engineTimestamp('2026-11-27 08:00:00.123456')?.toISOString()).toBe('2026-11-27T08:00:00.123Z');
    expect(engineTimestamp('2026-11-27 08:00:00+00')?.toISOString()).toBe('2026-11-27T08:00:00.000Z');
    expect(engineTimestamp('2026-11-27T16:00:00+08:00')?.toISOString()).toBe('2026-11-27T08:00:00.000Z');
    expect(engineTimestamp('2026-11-27T08:00:00Z')?.toISOString()).toBe('2026-11-27T08:00:00.000Z');
    expect(engineTimestamp('2026-11-27')?.toISOString()).toBe('2026-11-27T00:00:00.000Z');
    expect(engineTimestamp('yesterday')).toBeUndefined();
    expect(engineTimestamp('2026-13-45 99:00:00')).toBeUndefined();
  });
});
