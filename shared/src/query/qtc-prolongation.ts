import { FROM_DATE, TO_DATE } from './common-parameters';
import { defineNamedQuery } from './named-query';

/**
 * QTc prolongation with the day's doses (version 1): per patient-day with a
 * QTc above the threshold, how many such readings and the longest, beside
 * every medication the patient was given that day (days in UTC), since
 * several drugs prolong QT.
 */
export const qtcProlongation = defineNamedQuery({
  name: 'qtc_prolongation',
  version: 1,
  title: "QTc prolongation and the same day's doses",
  problem:
    'On which days did a patient have a QTc over 500 ms (or another threshold), and what medication, how much, did they receive that day?',
  parameters: [
    FROM_DATE,
    TO_DATE,
    {
      name: 'threshold_ms',
      type: 'integer',
      min: 350,
      max: 700,
      default: '500',
      description: 'a QTc above this (ms) is prolonged; default 500',
    },
  ],
  rules: [{ kind: 'date_span', from: 'from', to: 'to', maxDays: 366 }],
  prune: { ecg: { from: 'from', to: 'to' }, dosage: { from: 'from', to: 'to' } },
  columns: [
    { name: 'patient_token', type: 'varchar', description: 'Patient token' },
    { name: 'reading_date', type: 'varchar', description: 'Day (UTC) of the prolonged readings, YYYY-MM-DD' },
    { name: 'prolonged_readings', type: 'bigint', description: 'ECG readings that day with QTc above the threshold' },
    { name: 'max_qtc_ms', type: 'double', description: 'Longest QTc that day (ms)' },
    { name: 'medication', type: 'varchar', description: 'A medication given that day (empty when none was)' },
    { name: 'administrations', type: 'bigint', description: 'Times it was given that day' },
    { name: 'total_dose_mg', type: 'double', description: 'Total dose of it that day (mg)' },
  ],
  sql: `
WITH prolonged AS (
  SELECT e.patient_token, e.dt, count(*) AS prolonged_readings, max(e.qtc_ms) AS max_qtc_ms
  FROM {{ecg}} AS e
  WHERE e.dt BETWEEN :from AND :to AND e.qtc_ms > :threshold_ms
  GROUP BY e.patient_token, e.dt
),
doses AS (
  SELECT d.patient_token, d.dt, d.medication, count(*) AS administrations, sum(d.dose_mg) AS total_dose_mg
  FROM {{dosage}} AS d
  WHERE d.dt BETWEEN :from AND :to
  GROUP BY d.patient_token, d.dt, d.medication
)
SELECT
  p.patient_token,
  p.dt AS reading_date,
  p.prolonged_readings,
  p.max_qtc_ms,
  ds.medication,
  ds.administrations,
  ds.total_dose_mg
FROM prolonged AS p
LEFT JOIN doses AS ds ON ds.patient_token = p.patient_token AND ds.dt = p.dt
ORDER BY p.patient_token, p.dt, ds.medication`,
});
