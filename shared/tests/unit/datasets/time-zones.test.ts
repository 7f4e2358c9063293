import { UnknownTimeZoneError, ZoneOffsets } from '../../../src/datasets/time-zones';

const iso = (ms: number) => new Date(ms).toISOString();

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
