import { FROM_DATE, TO_DATE, PATIENT_TOKEN } from './common-parameters';
import { defineNamedQuery } from './named-query';

/** Per patient per day: min / average / max heart rate and SpO2 (version 1). */
export const dailyVitals = defineNamedQuery({
  name: 'daily_vitals',
  version: 1,
  title: 'Daily vitals per patient',
  problem:
    'Per patient per day (UTC), the minimum, average and maximum heart rate and SpO2, with the number of readings.',
  parameters: [
    FROM_DATE,
    TO_DATE,
    PATIENT_TOKEN,
    { name: 'site', type: 'string', description: 'only this site', allowed: ['SG', 'US'] },
  ],
  rules: [{ kind: 'date_span', from: 'from', to: 'to', maxDays: 366 }],
  prune: { vitals: { from: 'from', to: 'to', keys: { patient_token: 'patient_token' } } },
  columns: [
    { name: 'patient_token', type: 'varchar', description: 'Patient token' },
    { name: 'reading_date', type: 'varchar', description: 'Day of the readings (UTC), YYYY-MM-DD' },
    { name: 'site', type: 'varchar', description: 'Site (SG | US)' },
    { name: 'readings', type: 'bigint', description: 'Number of readings that day' },
    { name: 'min_heart_rate_bpm', type: 'double', description: 'Lowest heart rate (bpm)' },
    { name: 'avg_heart_rate_bpm', type: 'double', description: 'Average heart rate (bpm), 1 decimal' },
    { name: 'max_heart_rate_bpm', type: 'double', description: 'Highest heart rate (bpm)' },
    { name: 'min_spo2_pct', type: 'double', description: 'Lowest SpO2 (%)' },
    { name: 'avg_spo2_pct', type: 'double', description: 'Average SpO2 (%), 1 decimal' },
    { name: 'max_spo2_pct', type: 'double', description: 'Highest SpO2 (%)' },
  ],
  sql: `
SELECT
  v.patient_token,
  v.dt AS reading_date,
  v.site,
  count(*) AS readings,
  min(v.heart_rate_bpm) AS min_heart_rate_bpm,
  round(avg(v.heart_rate_bpm), 1) AS avg_heart_rate_bpm,
  max(v.heart_rate_bpm) AS max_heart_rate_bpm,
  min(v.spo2_pct) AS min_spo2_pct,
  round(avg(v.spo2_pct), 1) AS avg_spo2_pct,
  max(v.spo2_pct) AS max_spo2_pct
FROM {{vitals}} AS v
WHERE v.dt BETWEEN :from AND :to
  AND (CAST(:patient_token AS VARCHAR) IS NULL OR v.patient_token = :patient_token)
  AND (CAST(:site AS VARCHAR) IS NULL OR v.site = :site)
GROUP BY v.patient_token, v.dt, v.site
ORDER BY v.patient_token, v.dt, v.site`,
});
