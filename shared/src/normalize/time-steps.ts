/**
 * The steps of date and timestamp columns. Timestamps become UTC instants: with
 * an offset as written, without one in the time zone the contract gives the
 * row's site. Dates are calendar days, protected (birth dates to a birth year).
 */
import type { ColumnSpec, CuratedValue, DatasetContract } from '../datasets/contract';
import { ZoneOffsets } from '../datasets/time-zones';
import { protectDay } from './pii-protection';
import { emptyValue, type Invalid, type RowState, type Step, shownValue } from './row-state';
import { DAY_MS, parseDateParts, parseTimestamp, type TimestampParse } from './timestamps';

/** The UTC offsets of each site's local time zone, as the contract names them. */
export function siteTimeZones(contract: DatasetContract): Map<string, ZoneOffsets> {
  const zones = new Map<string, ZoneOffsets>();
  for (const [site, zone] of Object.entries(contract.localTimeZones ?? {}))
    if (zone !== undefined) zones.set(site, new ZoneOffsets(zone));
  return zones;
}

/** Compiles the step of a `date` column; `asOf` is the date ages are computed at. */
export function dateStep(spec: ColumnSpec, row: RowState, asOf: Date): Step {
  const shown = shownValue(spec);
  const empty = emptyValue(spec, row);
  const protect = protectDay(spec, row, asOf);
  const scratch: TimestampParse = { kind: 'invalid', ms: 0 };
  return (text): CuratedValue | Invalid => {
    if (text === '') return empty();
    let day = text.length === 10 ? parseDateParts(text) : NaN;
    if (Number.isNaN(day) && text.length > 10) {
      // Spreadsheet exports write dates as midnight timestamps; the calendar date as written is the date.
      parseTimestamp(text, scratch);
      if (scratch.kind === 'local') day = Math.floor(scratch.ms / DAY_MS) * DAY_MS;
    }
    if (Number.isNaN(day)) return row.reject('type', `${shown(text)} is not a date (expected YYYY-MM-DD)`);
    return protect(day);
  };
}

/** Compiles the step of a `timestamp` column; local times need the row's site, so the site column runs first. */
export function timestampStep(spec: ColumnSpec, row: RowState, zones: ReadonlyMap<string, ZoneOffsets>): Step {
  const shown = shownValue(spec);
  const empty = emptyValue(spec, row);
  const scratch: TimestampParse = { kind: 'invalid', ms: 0 };
  return (text): CuratedValue | Invalid => {
    if (text === '') return empty();
    parseTimestamp(text, scratch);
    if (scratch.kind === 'utc') return new Date(scratch.ms);
    if (scratch.kind === 'invalid')
      return row.reject(
        'type',
        `${shown(text)} is not a timestamp (expected ISO 8601, e.g. 2026-01-02T08:00:00+08:00)`,
      );
    const site = row.site;
    if (site === undefined) return row.fail();
    const zone = zones.get(site);
    if (zone === undefined)
      return row.reject(
        'time_zone',
        `${shown(text)} has no UTC offset and no time zone is configured for site ${site}`,
      );
    return new Date(zone.localToUtc(scratch.ms));
  };
}
