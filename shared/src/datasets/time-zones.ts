/**
 * The time zones a contract names for its sites' local times: a name Intl must
 * know (checked when the contract loads) and the UTC offsets it has at each
 * instant, so wall-clock times written without an offset resolve to UTC.
 */

/** Thrown for a time zone name Intl does not know (a contract bug, caught at load). */
export class UnknownTimeZoneError extends Error {
  override name = 'UnknownTimeZoneError';
  constructor(
    readonly timeZone: string,
    options?: { cause?: unknown },
  ) {
    super(`time zone ${timeZone} is not a known IANA time zone`, options);
  }
}

const QUARTER_HOUR = 900_000;
const CACHE_LIMIT = 50_000;

/**
 * UTC offsets of one time zone. Every real zone changes offset on a quarter
 * hour, so offsets are cached per UTC quarter hour: Intl is asked once per
 * quarter hour seen, not once per row.
 */
export class ZoneOffsets {
  private readonly format: Intl.DateTimeFormat;
  private readonly cache = new Map<number, number>();

  constructor(readonly timeZone: string) {
    try {
      this.format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (error) {
      throw new UnknownTimeZoneError(timeZone, { cause: error });
    }
  }

  /** The zone's offset from UTC in ms at instant `utcMs` (east positive). */
  offsetAt(utcMs: number): number {
    const bucket = Math.floor(utcMs / QUARTER_HOUR);
    const cached = this.cache.get(bucket);
    if (cached !== undefined) return cached;
    const at = bucket * QUARTER_HOUR;
    const parts: Record<string, number> = {};
    for (const part of this.format.formatToParts(at))
      if (part.type !== 'literal') parts[part.type] = Number(part.value);
    const wall = Date.UTC(
      parts.year ?? 1970,
      (parts.month ?? 1) - 1,
      parts.day ?? 1,
      parts.hour ?? 0,
      parts.minute ?? 0,
      parts.second ?? 0,
    );
    const offset = wall - at;
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(bucket, offset);
    return offset;
  }

  /**
   * The UTC instant of a wall-clock time in this zone (`localMs`: the wall clock
   * read as UTC). Resolves DST like Temporal's `compatible`: a time that occurs
   * twice (clocks going back) is the earlier instant; a time skipped by clocks
   * going forward is moved forward by the gap (02:30 -> 03:30).
   */
  localToUtc(localMs: number): number {
    const before = this.offsetAt(localMs - 86_400_000);
    const after = this.offsetAt(localMs + 86_400_000);
    const early = localMs - before;
    if (before === after) return early;
    const late = localMs - after;
    if (this.offsetAt(early) !== before && this.offsetAt(late) === after) return late;
    return early;
  }
}
