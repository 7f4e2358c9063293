import { parseTimestamp, type TimestampParse } from '../../../src/normalize/timestamps';

function parse(text: string): TimestampParse {
  const out: TimestampParse = { kind: 'invalid', ms: 0 };
  parseTimestamp(text, out);
  return out;
}
const iso = (ms: number) => new Date(ms).toISOString();

describe('parseTimestamp', () => {
  it.each([
    ['2026-01-02T08:00:00Z', '2026-01-02T08:00:00.000Z'],
    ['2026-01-02T08:00:00.123Z', '2026-01-02T08:00:00.123Z'],
    ['2026-01-02 08:00+08:00', '2026-01-02T00:00:00.000Z'],
    ['2026-01-02 08:00:30 +0800', '2026-01-02T00:00:30.000Z'],
    ['2026-01-02T08:00:00-05', '2026-01-02T13:00:00.000Z'],
    ['2026-01-02T08:00:00,5-05:30', '2026-01-02T13:30:00.500Z'],
    ['2026-01-02 08:00 UTC', '2026-01-02T08:00:00.000Z'],
  ])('reads %s as %s', (text, expected) => {
    const out = parse(text);
    expect(out.kind).toBe('utc');
    expect(iso(out.ms)).toBe(expected);
  });

  it('reports a time without offset as local wall-clock time', () => {
    const out = parse('2026-01-02 08:00');
    expect(out.kind).toBe('local');
    expect(iso(out.ms)).toBe('2026-01-02T08:00:00.000Z');
  });

  it.each([
    '2026-02-30T08:00Z',
    '2026-01-02T24:00Z',
    '2026-01-02T08:60Z',
    '02/01/2026 08:00',
    '2026-01-02T08:00+15:00',
    '2026-01-02T08:00:00Zjunk',
    'yesterday',
    '2026-01-02T08:00:00.Z',
  ])('rejects %s', (text) => {
    expect(parse(text).kind).toBe('invalid');
  });
});
