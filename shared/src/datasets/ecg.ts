import { deviceSerialColumn, patientIdColumn, siteColumn } from './common-columns';
import type { ColumnSpec, DatasetContract } from './contract';

/** An ECG interval in ms; some exporters write seconds, said by the header ("PR (s)"). */
function interval(
  name: string,
  label: string,
  description: string,
  range: { min: number; max: number },
  extra: readonly string[],
): ColumnSpec {
  return {
    name,
    type: 'double',
    description,
    unit: 'ms',
    acceptedUnits: ['s'],
    range,
    aliases: [
      label,
      `${label} interval`,
      `${label} (ms)`,
      `${label} ms`,
      { header: `${label} (s)`, unit: 's' },
      { header: `${label} s`, unit: 's' },
      ...extra,
    ],
    pii: 'none',
    treatment: { kind: 'keep' },
  };
}

/** How far a reported QTc may be from a correction of the reported QT and RR (rounding, and devices' own RR averaging). */
const QTC_TOLERANCE_MS = 20;

/** QT corrected for the RR interval (ms) by Bazett, Fridericia, Framingham and Hodges (its rate from RR). */
export function correctedQts(qtMs: number, rrMs: number): number[] {
  const rr = rrMs / 1000;
  return [qtMs / Math.sqrt(rr), qtMs / Math.cbrt(rr), qtMs + 154 * (1 - rr), qtMs + 1.75 * (60 / rr - 60)];
}

/** ECG strip summaries from the wearable: intervals and the classified rhythm. */
export const ecg: DatasetContract = {
  name: 'ecg',
  version: 1,
  stage: 'curated',
  description: 'ECG strip summaries: heart rate, PR/QRS/QT/QTc/RR intervals, classified rhythm.',
  siteColumn: 'site',
  eventTimeColumn: 'recorded_at',
  localTimeZones: { SG: 'Asia/Singapore' },
  dedupeKey: ['patient_id', 'device_serial', 'recorded_at'],
  partitionKeys: ['site', 'dt'],
  columns: [
    patientIdColumn({ required: true }),
    deviceSerialColumn({ required: false }),
    {
      name: 'recorded_at',
      type: 'timestamp',
      description: 'When the strip was recorded (UTC)',
      required: true,
      aliases: ['timestamp', 'time', 'datetime', 'recorded', 'strip time', 'acquired at'],
      pii: 'none',
      treatment: { kind: 'keep' },
    },
    siteColumn,
    {
      name: 'heart_rate_bpm',
      type: 'double',
      description: 'Ventricular rate',
      unit: 'bpm',
      range: { min: 20, max: 250 },
      aliases: ['hr', 'heart rate', 'heart rate (bpm)', 'ventricular rate', 'vent rate', 'bpm'],
      pii: 'none',
      treatment: { kind: 'keep' },
    },
    interval('pr_ms', 'pr', 'PR interval', { min: 60, max: 400 }, []),
    interval('qrs_ms', 'qrs', 'QRS duration', { min: 40, max: 250 }, ['qrs duration', 'qrsd']),
    interval('qt_ms', 'qt', 'QT interval', { min: 200, max: 700 }, []),
    interval('qtc_ms', 'qtc', 'QT interval corrected for heart rate', { min: 200, max: 750 }, [
      'qt corrected',
      'qtcb',
      'qtc bazett',
    ]),
    interval('rr_ms', 'rr', 'RR interval', { min: 200, max: 3000 }, []),
    {
      name: 'rhythm',
      type: 'string',
      description: 'Rhythm classified by the device algorithm',
      allowed: [
        'sinus rhythm',
        'sinus bradycardia',
        'sinus tachycardia',
        'atrial fibrillation',
        'atrial flutter',
        'paced',
        'inconclusive',
      ],
      valueAliases: {
        nsr: 'sinus rhythm',
        sr: 'sinus rhythm',
        'normal sinus rhythm': 'sinus rhythm',
        afib: 'atrial fibrillation',
        af: 'atrial fibrillation',
        'a-fib': 'atrial fibrillation',
        aflutter: 'atrial flutter',
        unclassified: 'inconclusive',
      },
      aliases: ['rhythm classification', 'classification', 'ecg rhythm'],
      pii: 'none',
      treatment: { kind: 'keep' },
    },
  ],
  rowRules: [
    {
      id: 'qtc_consistent_with_qt_rr',
      description: `qtc_ms is not QT corrected for RR by any of Bazett, Fridericia, Framingham or Hodges (within ${QTC_TOLERANCE_MS} ms)`,
      columns: ['qt_ms', 'rr_ms', 'qtc_ms'],
      // Devices differ in the correction they apply: any common one within the tolerance passes.
      check: ([qt, rr, qtc]) =>
        correctedQts(qt as number, rr as number).some(
          (expected) => Math.abs(expected - (qtc as number)) <= QTC_TOLERANCE_MS,
        ),
      severity: 'reject',
    },
  ],
};
