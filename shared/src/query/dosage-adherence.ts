import { FROM_DATE, TO_DATE } from './common-parameters';
import { defineNamedQuery } from './named-query';

/**
 * Prescribed versus administered (version 1): per patient and medication over
 * the days asked for, on how many days a dose was given, how much, and how
 * often a single dose went above the prescribed maximum. The lake holds
 * administrations, not schedules: adherence here is the share of the days
 * asked for on which the medication was given at least once.
 */
export const dosageAdherence = defineNamedQuery({
  name: 'dosage_adherence',
  version: 1,
  title: 'Dosage adherence: prescribed versus administered',
  problem:
    'Per patient and medication, on what share of the days was it given, how much in total, and how many doses went above the prescribed maximum? ' +
    'Adherence is the share of the days asked for with at least one administration.',
  parameters: [
    FROM_DATE,
    TO_DATE,
    {
      name: 'medication',
      type: 'string',
      description: 'only this medication (as written in the source, case-insensitive)',
      pattern: '[A-Za-z0-9 ._/()+-]{1,80}',
      patternHint: 'a medication name (letters, digits, spaces and . _ / ( ) + -)',
    },
  ],
  rules: [{ kind: 'date_span', from: 'from', to: 'to', maxDays: 366 }],
  prune: { dosage: { from: 'from', to: 'to' } },
  columns: [
    { name: 'patient_token', type: 'varchar', description: 'Patient token' },
    { name: 'medication', type: 'varchar', description: 'Medication' },
    { name: 'days_in_period', type: 'bigint', description: 'Days from `from` to `to`, both included' },
    { name: 'days_administered', type: 'bigint', description: 'Days with at least one administration' },
    { name: 'adherence_pct', type: 'double', description: 'days_administered / days_in_period, in %, 1 decimal' },
    { name: 'administrations', type: 'bigint', description: 'Administrations in the period' },
    { name: 'total_dose_mg', type: 'double', description: 'Total administered (mg)' },
    { name: 'max_single_dose_mg', type: 'double', description: 'Largest single dose (mg)' },
    {
      name: 'prescribed_max_mg',
      type: 'double',
      description: 'Prescribed maximum single dose (mg), the highest recorded in the period',
    },
    {
      name: 'doses_over_prescribed_max',
      type: 'bigint',
      description: 'Administrations above the prescribed maximum recorded with them',
    },
  ],
  sql: `
SELECT
  d.patient_token,
  d.medication,
  date_diff('day', CAST(:from AS DATE), CAST(:to AS DATE)) + 1 AS days_in_period,
  count(DISTINCT d.dt) AS days_administered,
  round(100.0 * count(DISTINCT d.dt) / (date_diff('day', CAST(:from AS DATE), CAST(:to AS DATE)) + 1), 1) AS adherence_pct,
  count(*) AS administrations,
  sum(d.dose_mg) AS total_dose_mg,
  max(d.dose_mg) AS max_single_dose_mg,
  max(d.prescribed_max_mg) AS prescribed_max_mg,
  count_if(d.dose_mg > d.prescribed_max_mg) AS doses_over_prescribed_max
FROM {{dosage}} AS d
WHERE d.dt BETWEEN :from AND :to
  AND (CAST(:medication AS VARCHAR) IS NULL OR lower(d.medication) = lower(:medication))
GROUP BY d.patient_token, d.medication
ORDER BY d.patient_token, d.medication`,
});
