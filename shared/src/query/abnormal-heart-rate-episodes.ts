import { FROM_DATE, TO_DATE, PATIENT_TOKEN } from './common-parameters';
import { defineNamedQuery } from './named-query';

/**
 * Episodes of sustained high heart rate (version 1): a run of consecutive
 * readings of one patient, all above the threshold, lasting at least N minutes
 * from its first reading to its last. Any reading at or below the threshold
 * ends the run (gaps and islands over the patient's readings in time order).
 */
export const abnormalHeartRateEpisodes = defineNamedQuery({
  name: 'abnormal_heart_rate_episodes',
  version: 1,
  title: 'Sustained high heart rate episodes',
  problem:
    'Which patients had their heart rate above a threshold for at least N minutes in a row, when, for how long and how high? ' +
    'An episode is a run of consecutive readings all above the threshold; its length runs from its first reading to its last.',
  parameters: [
    FROM_DATE,
    TO_DATE,
    {
      name: 'threshold_bpm',
      type: 'integer',
      min: 60,
      max: 250,
      default: '120',
      description: 'a reading is high when its heart rate is above this (bpm); default 120',
    },
    {
      name: 'min_minutes',
      type: 'integer',
      min: 1,
      max: 1440,
      default: '10',
      description: 'shortest episode reported, in minutes; default 10',
    },
    PATIENT_TOKEN,
  ],
  rules: [{ kind: 'date_span', from: 'from', to: 'to', maxDays: 92 }],
  prune: { vitals: { from: 'from', to: 'to', keys: { patient_token: 'patient_token' } } },
  columns: [
    { name: 'patient_token', type: 'varchar', description: 'Patient token' },
    { name: 'episode_start', type: 'timestamp', description: 'First high reading of the episode (UTC)' },
    { name: 'episode_end', type: 'timestamp', description: 'Last high reading of the episode (UTC)' },
    { name: 'duration_minutes', type: 'bigint', description: 'Minutes from the first high reading to the last' },
    { name: 'readings', type: 'bigint', description: 'High readings in the episode' },
    { name: 'peak_heart_rate_bpm', type: 'double', description: 'Highest heart rate in the episode (bpm)' },
  ],
  sql: `
WITH ordered AS (
  SELECT
    v.patient_token,
    v.recorded_at,
    v.heart_rate_bpm,
    row_number() OVER (PARTITION BY v.patient_token ORDER BY v.recorded_at) AS position
  FROM {{vitals}} AS v
  WHERE v.dt BETWEEN :from AND :to
    AND v.heart_rate_bpm IS NOT NULL
    AND (CAST(:patient_token AS VARCHAR) IS NULL OR v.patient_token = :patient_token)
),
high AS (
  SELECT
    o.patient_token,
    o.recorded_at,
    o.heart_rate_bpm,
    o.position - row_number() OVER (PARTITION BY o.patient_token ORDER BY o.recorded_at) AS run_id
  FROM ordered AS o
  WHERE o.heart_rate_bpm > :threshold_bpm
)
SELECT
  h.patient_token,
  min(h.recorded_at) AS episode_start,
  max(h.recorded_at) AS episode_end,
  date_diff('minute', min(h.recorded_at), max(h.recorded_at)) AS duration_minutes,
  count(*) AS readings,
  max(h.heart_rate_bpm) AS peak_heart_rate_bpm
FROM high AS h
GROUP BY h.patient_token, h.run_id
HAVING date_diff('minute', min(h.recorded_at), max(h.recorded_at)) >= :min_minutes
ORDER BY h.patient_token, episode_start`,
});
