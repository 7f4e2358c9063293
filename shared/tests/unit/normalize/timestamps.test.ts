import {
  parseTimestamp,
  ZoneOffsets,
  UnknownTimeZoneError,
  type TimestampParse,
} from '../../../src/normalize/timestamps';

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

describe('ZoneOffsets', () => {
  it('reads a local SG time as +08:00', () => {
    const sg = new ZoneOffsets('Asia/Singapore');
    expect(iso(sg.localToUtc(Date.UTC(2026, 0, 2, 8, 0)))).toBe('2026-01-02T00:00:00.000Z');
  });

  it('applies US daylight saving time by date', () => {
    const ny = new ZoneOffsets('America/New_York');
    expect(iso(ny.localToUtc(Date.UTC(2026, 0, 15, 9, 0)))).toBe('2026-01-15T14:00:00.000Z');
    expect(iso(ny.localToUtc(Date.UTC(2026, 6, 15, 9, 0)))).toBe('2026-07-15T13:00:00.000Z');
  });

  it('moves a time skipped by spring-forward ahead by the gap', () => {
    // 2026-03-08 02:30 does not exist in New York: it is read as 03:30 EDT.
    const ny = new ZoneOffsets('America/New_York');
    expect(iso(ny.localToUtc(Date.UTC(2026, 2, 8, 2, 30)))).toBe('2026-03-08T07:30:00.000Z');
  });

  it('reads a time repeated by fall-back as its first occurrence', () => {
    // 2026-11-01 01:30 happens twice in New York; the first is EDT (-04:00).
    const ny = new ZoneOffsets('America/New_York');
    expect(iso(ny.localToUtc(Date.UTC(2026, 10, 1, 1, 30)))).toBe('2026-11-01T05:30:00.000Z');
  });

  it('refuses a time zone that does not exist', () => {
    expect(() => new ZoneOffsets('Mars/Olympus_Mons')).toThrow(UnknownTimeZoneError);
  });
});
