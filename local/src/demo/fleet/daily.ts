/**
 * What each patient produces per day besides vitals: two ECG strips, one gait
 * summary, and a dose of each medication (mg and mcg mixed, one dose planted
 * in a unit the contract does not accept).
 */
import type { CsvFileSpec } from './csv';
import { isoWithOffset, usOffsetMinutes } from './csv';
import type { Patient } from './patients';
import type { Draws } from './random';
import { round } from './random';
import type { Planted } from './vitals';

const DAY_MS = 86_400_000;

/** The ECG, gait and dosage files; the bad dose planted is counted into `planted`. */
export function dailyFiles(
  patients: Patient[],
  { start, days }: { start: Date; days: number },
  { random, between, int }: Draws,
  planted: Planted,
): CsvFileSpec[] {
  const ecgRows: (string | number)[][] = [];
  const gaitRows: (string | number)[][] = [];
  const doseRows: (string | number)[][] = [];
  for (const p of patients) {
    const offset = p.site === 'SG' ? 480 : usOffsetMinutes(start);
    for (let d = 0; d < days; d++) {
      const day = start.getTime() + d * DAY_MS;
      for (let k = 0; k < 2; k++) {
        const at = new Date(day + int(0, 23 * 60) * 60_000);
        const hr = round(p.restingHr + between(-5, 8), 0);
        const rrMs = round(60_000 / hr, 0);
        const qt = round(between(360, 430), 0);
        const qtc = round(qt / Math.sqrt(rrMs / 1000), 0);
        ecgRows.push([
          p.id,
          p.device,
          isoWithOffset(at, offset),
          p.site,
          hr,
          round(between(130, 200), 0),
          round(between(80, 110), 0),
          qt,
          qtc,
          rrMs,
          random() < 0.06 ? 'atrial fibrillation' : 'sinus rhythm',
        ]);
      }
      const steps = int(1200, 7000);
      gaitRows.push([
        p.id,
        p.device,
        isoWithOffset(new Date(day + 20 * 3_600_000 - offset * 60_000), offset),
        p.site,
        steps,
        round(between(85, 115), 0),
        round(between(0.8, 1.25), 2),
        round(between(0.6, 1.25), 2),
        round(between(5, 12), 1),
        random() < 0.01 ? 'yes' : 'no',
      ]);
      for (const med of p.medications) {
        const at = new Date(day + (8 * 60 - offset + int(-20, 40)) * 60_000);
        doseRows.push([p.id, isoWithOffset(at, offset), med.name, med.dose, med.unit, med.maxMg, med.route, p.site]);
      }
    }
  }
  const badDose = doseRows[int(0, doseRows.length - 1)];
  if (badDose) {
    // A pharmacy system that writes "units" for a tablet count: not a unit the contract accepts.
    doseRows.push([
      badDose[0] ?? '',
      isoWithOffset(new Date(Date.parse(String(badDose[1])) + 3_600_000), 0),
      badDose[2] ?? '',
      1,
      'units',
      badDose[5] ?? '',
      'oral',
      badDose[7] ?? '',
    ]);
    planted.unknownUnit += 1;
  }
  return [
    {
      dataset: 'ecg',
      name: 'ecg-intervals.csv',
      header: [
        'patient_id',
        'device_serial',
        'recorded_at',
        'site',
        'heart_rate_bpm',
        'pr_ms',
        'qrs_ms',
        'qt_ms',
        'qtc_ms',
        'rr_ms',
        'rhythm',
      ],
      rows: ecgRows,
      note: 'two ECG strips per patient per day',
    },
    {
      dataset: 'gait',
      name: 'gait-daily.csv',
      header: [
        'patient_id',
        'device_serial',
        'recorded_at',
        'site',
        'step_count',
        'cadence_spm',
        'stride_length_m',
        'gait_speed_mps',
        'gait_angle_deg',
        'fall_detected',
      ],
      rows: gaitRows,
      note: 'one gait summary per patient per day',
    },
    {
      dataset: 'dosage',
      name: 'dosage-administrations.csv',
      header: [
        'patient_id',
        'administered_at',
        'medication',
        'dose_mg',
        'dose_unit',
        'prescribed_max_mg',
        'route',
        'site',
      ],
      rows: doseRows,
      note: 'mg and mcg doses mixed, one dose in an unknown unit',
    },
  ];
}
