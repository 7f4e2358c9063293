/**
 * The fleet's vitals: wearable uploads every 15-30 minutes (clean headers,
 * UTC offsets), with a few out-of-range glitches and duplicated rows planted,
 * plus two clinic exports with messy headers: the US one in °F with one
 * timestamp keyed without its offset, the SG one semicolon-delimited in local time.
 */
import type { CsvFileSpec } from './csv';
import { isoWithOffset, localWallClock, usOffsetMinutes } from './csv';
import type { Patient } from './patients';
import type { Draws } from './random';
import { round } from './random';

/** The dirty rows planted on purpose, by kind. */
export interface Planted {
  outOfRange: number;
  unknownUnit: number;
  duplicates: number;
  missingOffset: number;
}

export interface VitalsPlan {
  start: Date;
  days: number;
  /** Minutes between readings per patient: each gap is drawn from this range. */
  every: { min: number; max: number };
}

const DAY_MS = 86_400_000;

/** The three vitals files; the dirt planted is counted into `planted`. */
export function vitalsFiles(
  patients: Patient[],
  { start, days, every }: VitalsPlan,
  draws: Draws,
  planted: Planted,
): CsvFileSpec[] {
  const { random, between, int } = draws;
  const deviceRows: (string | number)[][] = [];
  const usClinicRows: (string | number)[][] = [];
  const sgClinicRows: (string | number)[][] = [];
  for (const p of patients) {
    const offset = p.site === 'SG' ? 480 : usOffsetMinutes(start);
    for (
      let t = start.getTime() + int(0, every.max) * 60_000;
      t < start.getTime() + days * DAY_MS;
      t += int(every.min, every.max) * 60_000
    ) {
      const at = new Date(t);
      const localHour = (at.getUTCHours() + at.getUTCMinutes() / 60 + offset / 60 + 24) % 24;
      // Circadian drift: lowest around 04:00 local, highest mid-afternoon.
      const circadian = Math.sin(((localHour - 10) / 24) * 2 * Math.PI);
      const hr = round(p.restingHr + 7 * circadian + between(-4, 4), 0);
      const spo2 = round(Math.min(100, p.spo2 + between(-1.2, 1)), 1);
      const sys = round(p.systolic + 8 * circadian + between(-6, 6), 0);
      const dia = round(p.diastolic + 5 * circadian + between(-4, 4), 0);
      const tempC = round(36.5 + 0.3 * circadian + between(-0.2, 0.2), 1);
      const rr = round(between(12, 19), 0);
      deviceRows.push([p.id, p.device, isoWithOffset(at, offset), p.site, hr, spo2, sys, dia, tempC, rr]);
      // A few readings per patient per day are also keyed in at the clinic.
      if (random() < 0.04) {
        if (p.site === 'US')
          usClinicRows.push([
            p.id,
            p.device,
            isoWithOffset(at, offset),
            p.site,
            hr,
            spo2,
            sys,
            dia,
            round((tempC * 9) / 5 + 32, 1),
          ]);
        else sgClinicRows.push([p.id, p.site, localWallClock(at, offset), hr, spo2, sys, dia]);
      }
    }
  }
  plantDeviceDirt(deviceRows, start, draws, planted);
  plantMissingOffset(usClinicRows, patients, start, planted);
  return [
    {
      dataset: 'vitals',
      name: 'vitals-device-upload.csv',
      header: [
        'patient_id',
        'device_serial',
        'recorded_at',
        'site',
        'heart_rate_bpm',
        'spo2_pct',
        'systolic_mmhg',
        'diastolic_mmhg',
        'temperature_c',
        'respiratory_rate_bpm',
      ],
      rows: deviceRows,
      note: 'wearable uploads every 15-30 minutes, with a few out-of-range glitches and duplicated rows',
    },
    {
      dataset: 'vitals',
      name: 'clinic-us-export.csv',
      header: [
        'Patient ID',
        'Device SN',
        'Timestamp',
        'Site',
        'Heart Rate (bpm)',
        'SpO2 (%)',
        'Systolic',
        'Diastolic',
        'Temperature (°F)',
      ],
      rows: usClinicRows,
      note: 'messy headers, Fahrenheit, one timestamp without a UTC offset',
    },
    // The SG clinic's system exports semicolon-separated local times (Asia/Singapore, no offset).
    {
      dataset: 'vitals',
      name: 'clinic-sg-export.csv',
      header: ['Patient ID', 'Site Code', 'Reading Time', 'HR', 'SpO2 (%)', 'BP Systolic', 'BP Diastolic'],
      rows: sgClinicRows,
      delimiter: ';',
      note: 'semicolon-delimited, "HR" and "SpO2 (%)" headers, SG local time without offset',
    },
  ];
}

/** Dirt: sensor glitches out of range, and rows uploaded twice. */
function plantDeviceDirt(deviceRows: (string | number)[][], start: Date, { int }: Draws, planted: Planted): void {
  for (let i = 0; i < Math.max(1, Math.floor(deviceRows.length / 5000)); i++) {
    const row = deviceRows[int(0, deviceRows.length - 1)];
    if (row) {
      // A loose strap reads 900 bpm a minute after a real reading.
      const shifted = isoWithOffset(
        new Date(Date.parse(String(row[2])) + 60_000),
        row[3] === 'SG' ? 480 : usOffsetMinutes(start),
      );
      deviceRows.push([row[0] ?? '', row[1] ?? '', shifted, row[3] ?? '', 900, ...row.slice(5)]);
      planted.outOfRange += 1;
    }
  }
  for (let i = 0; i < Math.max(2, Math.floor(deviceRows.length / 2000)); i++) {
    const row = deviceRows[int(0, deviceRows.length - 1)];
    if (row) {
      deviceRows.push([...row]);
      planted.duplicates += 1;
    }
  }
}

/** The US clinic exports °F under verbose headers; one row was keyed without its UTC offset. */
function plantMissingOffset(
  usClinicRows: (string | number)[][],
  patients: Patient[],
  start: Date,
  planted: Planted,
): void {
  const firstUs =
    usClinicRows[0] ??
    (() => {
      const p = patients.find((x) => x.site === 'US');
      return p
        ? [p.id, p.device, isoWithOffset(start, usOffsetMinutes(start)), 'US', 72, 97, 128, 78, 98.2]
        : undefined;
    })();
  if (!firstUs) return;
  usClinicRows.push([
    firstUs[0] ?? '',
    firstUs[1] ?? '',
    String(firstUs[2]).slice(0, 16).replace('T', ' '),
    'US',
    74,
    97,
    130,
    80,
    98.4,
  ]);
  planted.missingOffset += 1;
}
