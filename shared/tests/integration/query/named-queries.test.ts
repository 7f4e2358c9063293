/**
 * The basket of named queries on DuckDB over Parquet, against a small dataset
 * whose answers were worked out by hand (in the comments beside the rows).
 * Clinic A has patients P1 and P2; clinic B has P3, whose rows would change
 * every answer if scoping let them through.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dosage } from '../../../src/datasets/dosage';
import { ecg } from '../../../src/datasets/ecg';
import { gait } from '../../../src/datasets/gait';
import { patients } from '../../../src/datasets/patients';
import { findContract } from '../../../src/datasets/registry';
import { vitals } from '../../../src/datasets/vitals';
import { getNamedQuery } from '../../../src/query/named-queries';
import { renderWithContracts } from '../../../src/query/scoping';
import { createScratchLake, token, type ScratchLake } from './scratch-lake';

const DB = 'pulse_lake_basket_curated';
const [P1, P2, P3] = ['basket-p1', 'basket-p2', 'basket-p3'].map(token) as [string, string, string];
const DEVICE = token('basket-device');

let lake: ScratchLake;

async function ask(partnerId: string, name: string, params: Record<string, string>) {
  const rendered = renderWithContracts(
    getNamedQuery(name),
    params,
    { partnerId },
    { curatedDatabase: DB, dialect: 'duckdb' },
    findContract,
  );
  return lake.run(rendered.sql, rendered.parameters);
}

beforeAll(async () => {
  lake = await createScratchLake(DB);
  const patient = (patient_token: string, partner_id: string, site: string, birth_year: number | null) => ({
    patient_token,
    partner_id,
    site,
    birth_year,
    dt: '2024-01-01',
  });
  await lake.load(patients, [
    patient(P1, 'clinic-a', 'SG', 1940),
    patient(P2, 'clinic-a', 'SG', 1950),
    patient(P3, 'clinic-b', 'SG', 1945),
    // A cohort for cohort_summary: 12 more of clinic A's SG patients born 1950, 3 US patients born 1970, one without a birth year.
    ...Array.from({ length: 12 }, (_, i) => patient(token(`cohort-sg-${i}`), 'clinic-a', 'SG', 1950)),
    ...Array.from({ length: 3 }, (_, i) => patient(token(`cohort-us-${i}`), 'clinic-a', 'US', 1970)),
    patient(token('cohort-unknown'), 'clinic-a', 'SG', null),
    ...Array.from({ length: 20 }, (_, i) => patient(token(`cohort-b-${i}`), 'clinic-b', 'SG', 1950)),
  ]);

  const hr = (patient_token: string, at: string, heart_rate_bpm: number) => ({
    patient_token,
    device_token: DEVICE,
    recorded_at: at,
    heart_rate_bpm,
    site: 'SG',
  });
  await lake.load(vitals, [
    // P1: 10:00-10:12 above 120 (12 min, 3 readings, peak 140); 10:20 ends it; 10:25-10:30 is only 5 min; 11:00, after 10:40's 90, is one reading.
    hr(P1, '2024-03-01 10:00:00', 130),
    hr(P1, '2024-03-01 10:05:00', 135),
    hr(P1, '2024-03-01 10:12:00', 140),
    hr(P1, '2024-03-01 10:20:00', 100),
    hr(P1, '2024-03-01 10:25:00', 125),
    hr(P1, '2024-03-01 10:30:00', 126),
    hr(P1, '2024-03-01 10:40:00', 90),
    hr(P1, '2024-03-01 11:00:00', 121),
    // P2: 30 minutes at 150.
    hr(P2, '2024-03-01 09:00:00', 150),
    hr(P2, '2024-03-01 09:30:00', 150),
    // P3 (clinic B): an hour at 200.
    hr(P3, '2024-03-01 09:00:00', 200),
    hr(P3, '2024-03-01 10:00:00', 200),
  ]);

  const reading = (patient_token: string, at: string, qtc_ms: number) => ({
    patient_token,
    device_token: DEVICE,
    recorded_at: at,
    qtc_ms,
    qt_ms: 400,
    rr_ms: 800,
    site: 'SG',
  });
  await lake.load(ecg, [
    reading(P1, '2024-03-01 08:00:00', 510),
    reading(P1, '2024-03-01 12:00:00', 520),
    reading(P1, '2024-03-01 18:00:00', 480),
    reading(P1, '2024-03-02 08:00:00', 505),
    reading(P2, '2024-03-01 08:00:00', 490),
    reading(P3, '2024-03-01 08:00:00', 600),
  ]);

  const dose = (patient_token: string, at: string, medication: string, dose_mg: number, prescribed_max_mg: number) => ({
    patient_token,
    administered_at: at,
    medication,
    dose_mg,
    prescribed_max_mg,
    route: 'oral',
    site: 'SG',
  });
  await lake.load(dosage, [
    dose(P1, '2024-03-01 08:00:00', 'Sotalol', 80, 80),
    dose(P1, '2024-03-01 20:00:00', 'Sotalol', 80, 80),
    dose(P1, '2024-03-01 08:00:00', 'Metformin', 500, 1000),
    dose(P1, '2024-03-03 08:00:00', 'Sotalol', 120, 80),
    dose(P3, '2024-03-01 08:00:00', 'Sotalol', 160, 80),
  ]);

  const step = (patient_token: string, at: string, gait_angle_deg: number, fall_detected: boolean) => ({
    patient_token,
    device_token: DEVICE,
    recorded_at: at,
    gait_angle_deg,
    fall_detected,
    site: 'SG',
  });
  await lake.load(gait, [
    // P1, week of Mon 2024-03-04: angles 10, 12, 14 (mean 12, sd 2), one fall; week of 2024-03-11: 10, 20 (mean 15, sd 7.07), two falls.
    step(P1, '2024-03-04 09:00:00', 10, false),
    step(P1, '2024-03-05 09:00:00', 12, true),
    step(P1, '2024-03-10 23:00:00', 14, false),
    step(P1, '2024-03-11 09:00:00', 10, true),
    step(P1, '2024-03-12 09:00:00', 20, true),
    // P2: one reading, so no spread.
    step(P2, '2024-03-06 09:00:00', 11, false),
    step(P3, '2024-03-06 09:00:00', 40, true),
  ]);
});

afterAll(async () => {
  await lake?.close();
});

describe('abnormal_heart_rate_episodes', () => {
  it('finds runs above the threshold lasting at least the minimum, per patient, for the calling partner only', async () => {
    const rows = await ask('clinic-a', 'abnormal_heart_rate_episodes', { from: '2024-03-01', to: '2024-03-01' });
    expect(
      rows.map((r) => [
        r.patient_token,
        r.episode_start,
        r.episode_end,
        r.duration_minutes,
        r.readings,
        r.peak_heart_rate_bpm,
      ]),
    ).toEqual(
      [
        [P1, '2024-03-01 10:00:00', '2024-03-01 10:12:00', '12', '3', 140],
        [P2, '2024-03-01 09:00:00', '2024-03-01 09:30:00', '30', '2', 150],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  });

  it('takes the threshold and the minimum length as parameters', async () => {
    const stricter = await ask('clinic-a', 'abnormal_heart_rate_episodes', {
      from: '2024-03-01',
      to: '2024-03-01',
      threshold_bpm: '130',
      min_minutes: '5',
    });
    // Above 130: P1's 10:05 and 10:12 (7 min), P2's 30 min.
    expect(stricter.map((r) => [r.patient_token, r.duration_minutes]).sort()).toEqual(
      [
        [P1, '7'],
        [P2, '30'],
      ].sort(),
    );
    const shortOnes = await ask('clinic-a', 'abnormal_heart_rate_episodes', {
      from: '2024-03-01',
      to: '2024-03-01',
      min_minutes: '1',
      patient_token: P1,
    });
    expect(shortOnes.map((r) => r.duration_minutes)).toEqual(['12', '5']);
    // A lone reading lasts no minutes: never an episode, even at the shortest minimum.
    expect(shortOnes.map((r) => r.episode_start)).not.toContain('2024-03-01 11:00:00');
  });
});

describe('qtc_prolongation', () => {
  it('lists each day with a QTc over 500 ms beside every medication given that day, and days without one', async () => {
    const rows = await ask('clinic-a', 'qtc_prolongation', { from: '2024-03-01', to: '2024-03-02' });
    expect(
      rows.map((r) => [
        r.patient_token,
        r.reading_date,
        r.prolonged_readings,
        r.max_qtc_ms,
        r.medication,
        r.administrations,
        r.total_dose_mg,
      ]),
    ).toEqual([
      [P1, '2024-03-01', '2', 520, 'Metformin', '1', 500],
      [P1, '2024-03-01', '2', 520, 'Sotalol', '2', 160],
      [P1, '2024-03-02', '1', 505, null, null, null],
    ]);
  });

  it('takes another threshold', async () => {
    const rows = await ask('clinic-a', 'qtc_prolongation', {
      from: '2024-03-01',
      to: '2024-03-02',
      threshold_ms: '485',
    });
    expect(rows.map((r) => [r.patient_token, r.reading_date, r.prolonged_readings]).filter((r) => r[0] === P2)).toEqual(
      [[P2, '2024-03-01', '1']],
    );
  });
});

describe('gait_fall_risk', () => {
  it("reports each week's gait-angle spread, its change since the week before, and the falls", async () => {
    const rows = await ask('clinic-a', 'gait_fall_risk', { from: '2024-03-01', to: '2024-03-31' });
    expect(
      rows.map((r) => [
        r.patient_token,
        r.week_start,
        r.angle_readings,
        r.mean_gait_angle_deg,
        r.gait_angle_sd_deg,
        r.sd_change_from_previous_week,
        r.falls,
      ]),
    ).toEqual(
      [
        [P1, '2024-03-04', '3', 12, 2, null, '1'],
        [P1, '2024-03-11', '2', 15, 7.07, 5.07, '2'],
        [P2, '2024-03-04', '1', 11, null, null, '0'],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1]))),
    );
  });
});

describe('dosage_adherence', () => {
  it('compares administered with prescribed per patient and medication over the days asked for', async () => {
    const rows = await ask('clinic-a', 'dosage_adherence', { from: '2024-03-01', to: '2024-03-04' });
    expect(rows).toEqual([
      {
        patient_token: P1,
        medication: 'Metformin',
        days_in_period: '4',
        days_administered: '1',
        adherence_pct: 25,
        administrations: '1',
        total_dose_mg: 500,
        max_single_dose_mg: 500,
        prescribed_max_mg: 1000,
        doses_over_prescribed_max: '0',
      },
      {
        patient_token: P1,
        medication: 'Sotalol',
        days_in_period: '4',
        days_administered: '2',
        adherence_pct: 50,
        administrations: '3',
        total_dose_mg: 280,
        max_single_dose_mg: 120,
        prescribed_max_mg: 80,
        doses_over_prescribed_max: '1',
      },
    ]);
    const one = await ask('clinic-a', 'dosage_adherence', {
      from: '2024-03-01',
      to: '2024-03-04',
      medication: 'SOTALOL',
    });
    expect(one.map((r) => r.medication)).toEqual(['Sotalol']);
  });
});

describe('cohort_summary', () => {
  it("counts the partner's patients per site and age band as of a date", async () => {
    const rows = await ask('clinic-a', 'cohort_summary', { as_of: '2026-03-01' });
    // Ages in 2026: P1 86, P2 76, the 12 SG cohort 76, the 3 US cohort 56, one unknown. Clinic B's 21 never count.
    expect(rows).toEqual([
      { site: 'SG', age_band: '75-84', patients: '13' },
      { site: 'SG', age_band: '85 and over', patients: '1' },
      { site: 'SG', age_band: 'unknown', patients: '1' },
      { site: 'US', age_band: 'under 65', patients: '3' },
    ]);
    expect((await ask('clinic-a', 'cohort_summary', { as_of: '2026-03-01', site: 'us' })).map((r) => r.site)).toEqual([
      'US',
    ]);
  });
});

describe('every named query', () => {
  it("shows clinic A none of clinic B's patients, and clinic B none of clinic A's", async () => {
    const params: Record<string, Record<string, string>> = {
      daily_vitals: { from: '2024-01-01', to: '2024-12-31' },
      abnormal_heart_rate_episodes: { from: '2024-03-01', to: '2024-03-31', min_minutes: '1' },
      qtc_prolongation: { from: '2024-01-01', to: '2024-12-31', threshold_ms: '350' },
      gait_fall_risk: { from: '2024-01-01', to: '2024-12-31' },
      dosage_adherence: { from: '2024-01-01', to: '2024-12-31' },
    };
    for (const [name, values] of Object.entries(params)) {
      const a = new Set((await ask('clinic-a', name, values)).map((r) => r.patient_token));
      const b = new Set((await ask('clinic-b', name, values)).map((r) => r.patient_token));
      expect(a.has(P3)).toBe(false);
      expect(b.has(P1) || b.has(P2)).toBe(false);
      expect(b.has(P3)).toBe(true);
    }
  });
});
