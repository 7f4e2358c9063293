/** How the fleet's files are written: CSV with CRLF rows, and timestamps as devices and clinics write them. */

export type FleetDataset = 'patients' | 'devices' | 'vitals' | 'ecg' | 'gait' | 'dosage';

/** One CSV file of the fleet, before it is written. */
export interface CsvFileSpec {
  dataset: FleetDataset;
  name: string;
  header: string[];
  rows: (string | number)[][];
  /** Default `,`. */
  delimiter?: string;
  /** What makes this file interesting. */
  note: string;
}

export const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** ISO 8601 with the given offset in minutes (`+08:00`), or `Z` for 0. */
export function isoWithOffset(utc: Date, offsetMinutes: number): string {
  const local = new Date(utc.getTime() + offsetMinutes * 60_000);
  const base = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  if (offsetMinutes === 0) return `${base}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${base}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Local wall-clock time without an offset, as clinic exports write it. */
export function localWallClock(utc: Date, offsetMinutes: number): string {
  return isoWithOffset(utc, offsetMinutes).slice(0, 16).replace('T', ' ');
}

// US sites report in US Central time: -06:00 in winter, -05:00 in summer (close enough for synthetic data).
export function usOffsetMinutes(day: Date): number {
  const month = day.getUTCMonth();
  return month >= 2 && month <= 10 ? -300 : -360;
}

/** RFC 4180 field quoting for the delimiter in use. */
function field(value: string | number, delimiter: string): string {
  const text = String(value);
  return text.includes(delimiter) || text.includes('"') || text.includes('\n') ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csv(header: string[], rows: (string | number)[][], delimiter = ','): string {
  return `${[header, ...rows].map((row) => row.map((v) => field(v, delimiter)).join(delimiter)).join('\r\n')}\r\n`;
}
