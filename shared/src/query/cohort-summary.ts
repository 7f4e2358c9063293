import { defineNamedQuery } from './named-query';

/**
 * Patients by site and age band (version 1). The lake keeps only a birth
 * year, so an age is the year of `as_of` minus the birth year. Counts under
 * the small-cell threshold are suppressed (see executions.ts).
 */
export const cohortSummary = defineNamedQuery({
  name: 'cohort_summary',
  version: 1,
  title: 'Cohort by site and age band',
  problem:
    'How many of our patients are there per site and age band (under 65, 65-74, 75-84, 85 and over)? Small counts are suppressed.',
  parameters: [
    { name: 'as_of', type: 'date', required: true, description: 'ages are taken in the year of this day, YYYY-MM-DD' },
    { name: 'site', type: 'string', description: 'only this site', allowed: ['SG', 'US'] },
  ],
  columns: [
    { name: 'site', type: 'varchar', description: 'Site (SG | US)' },
    {
      name: 'age_band',
      type: 'varchar',
      description: 'under 65, 65-74, 75-84, 85 and over, or unknown (no birth year)',
    },
    {
      name: 'patients',
      type: 'bigint',
      description: 'Patients in the band; empty when under the small-cell threshold',
    },
  ],
  suppress: { columns: ['patients'] },
  sql: `
WITH ages AS (
  SELECT p.patient_token, p.site, year(CAST(:as_of AS DATE)) - p.birth_year AS age
  FROM {{patients}} AS p
  WHERE CAST(:site AS VARCHAR) IS NULL OR p.site = :site
)
SELECT
  a.site,
  CASE
    WHEN a.age IS NULL THEN 'unknown'
    WHEN a.age < 65 THEN 'under 65'
    WHEN a.age < 75 THEN '65-74'
    WHEN a.age < 85 THEN '75-84'
    ELSE '85 and over'
  END AS age_band,
  count(DISTINCT a.patient_token) AS patients
FROM ages AS a
GROUP BY 1, 2
ORDER BY 1, 2`,
});
