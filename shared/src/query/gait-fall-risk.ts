import { FROM_DATE, TO_DATE, PATIENT_TOKEN } from './common-parameters';
import { defineNamedQuery } from './named-query';

/**
 * Gait-angle variability and falls per week (version 1): a widening spread of
 * gait angle from one week to the next, with falls, is the fall-risk signal
 * clinicians look for. Weeks start on Monday (UTC).
 */
export const gaitFallRisk = defineNamedQuery({
  name: 'gait_fall_risk',
  version: 1,
  title: 'Gait variability trend and falls per week',
  problem:
    'Per patient per week, how variable was the gait angle, did the variability grow since the week before, and how many falls were detected?',
  parameters: [FROM_DATE, TO_DATE, PATIENT_TOKEN],
  rules: [{ kind: 'date_span', from: 'from', to: 'to', maxDays: 366 }],
  prune: { gait: { from: 'from', to: 'to', keys: { patient_token: 'patient_token' } } },
  columns: [
    { name: 'patient_token', type: 'varchar', description: 'Patient token' },
    { name: 'week_start', type: 'date', description: 'Monday (UTC) the week starts on' },
    { name: 'angle_readings', type: 'bigint', description: 'Readings with a gait angle that week' },
    { name: 'mean_gait_angle_deg', type: 'double', description: 'Mean gait angle (degrees), 2 decimals' },
    {
      name: 'gait_angle_sd_deg',
      type: 'double',
      description: 'Sample standard deviation of the gait angle (degrees), 2 decimals; empty under two readings',
    },
    {
      name: 'sd_change_from_previous_week',
      type: 'double',
      description:
        "This week's standard deviation minus the previous reported week's (degrees); positive: more variable",
    },
    { name: 'falls', type: 'bigint', description: 'Falls detected that week' },
  ],
  sql: `
WITH weekly AS (
  SELECT
    g.patient_token,
    CAST(date_trunc('week', g.recorded_at) AS DATE) AS week_start,
    count(g.gait_angle_deg) AS angle_readings,
    round(avg(g.gait_angle_deg), 2) AS mean_gait_angle_deg,
    round(stddev_samp(g.gait_angle_deg), 2) AS gait_angle_sd_deg,
    count_if(g.fall_detected) AS falls
  FROM {{gait}} AS g
  WHERE g.dt BETWEEN :from AND :to
    AND (CAST(:patient_token AS VARCHAR) IS NULL OR g.patient_token = :patient_token)
  GROUP BY g.patient_token, CAST(date_trunc('week', g.recorded_at) AS DATE)
)
SELECT
  w.patient_token,
  w.week_start,
  w.angle_readings,
  w.mean_gait_angle_deg,
  w.gait_angle_sd_deg,
  round(w.gait_angle_sd_deg - lag(w.gait_angle_sd_deg) OVER (PARTITION BY w.patient_token ORDER BY w.week_start), 2) AS sd_change_from_previous_week,
  w.falls
FROM weekly AS w
ORDER BY w.patient_token, w.week_start`,
});
