import { describe, expect, it } from '@jest/globals';
import { abnormalHeartRateEpisodes } from '../../../src/query/abnormal-heart-rate-episodes';
import { dailyVitals } from '../../../src/query/daily-vitals';
import { ParameterError, dayNumber, validateParameters } from '../../../src/query/parameters';

const TOKEN = 'a'.repeat(64);

function problemsOf(params: Record<string, string>): string[] {
  try {
    validateParameters(dailyVitals, params);
  } catch (error) {
    if (error instanceof ParameterError) return error.problems;
    throw error;
  }
  throw new Error('expected a ParameterError');
}

describe('validateParameters', () => {
  it('returns typed values, with null for optional parameters not given', () => {
    // Act
    const values = validateParameters(dailyVitals, { from: '2024-03-01', to: '2024-03-31', site: 'sg' });
    // Assess
    expect(values).toEqual({ from: '2024-03-01', to: '2024-03-31', patient_token: null, site: 'SG' });
  });

  it("uses a parameter's default when it is not given, and the caller's value when it is", () => {
    const withDefaults = validateParameters(abnormalHeartRateEpisodes, { from: '2024-03-01', to: '2024-03-02' });
    const given = validateParameters(abnormalHeartRateEpisodes, {
      from: '2024-03-01',
      to: '2024-03-02',
      threshold_bpm: '140',
      min_minutes: '',
    });
    expect([withDefaults.threshold_bpm, withDefaults.min_minutes]).toEqual([120, 10]);
    expect([given.threshold_bpm, given.min_minutes]).toEqual([140, 10]);
  });

  it('accepts a patient token of 64 lowercase hex characters', () => {
    expect(
      validateParameters(dailyVitals, { from: '2024-03-01', to: '2024-03-01', patient_token: TOKEN }).patient_token,
    ).toBe(TOKEN);
  });

  it('lists every problem at once: missing required, unknown names, bad values', () => {
    // Act
    const problems = problemsOf({ to: '2024-02-30', limit: '10', site: 'FR' });
    // Assess
    expect(problems).toEqual([
      'limit is not a parameter of daily_vitals (it takes: from, to, patient_token, site)',
      'from is required: first day (UTC) to include, YYYY-MM-DD',
      'to: must be a real calendar date written YYYY-MM-DD (e.g. 2024-03-01)',
      'site: must be one of SG, US',
    ]);
  });

  it('refuses a range where to is before from', () => {
    expect(problemsOf({ from: '2024-03-02', to: '2024-03-01' })).toEqual(['to must not be before from']);
  });

  it('refuses a range longer than 366 days but accepts exactly 366', () => {
    expect(problemsOf({ from: '2024-01-01', to: '2025-01-01' })).toEqual([
      'from..to spans 367 days; at most 366 are allowed per query',
    ]);
    expect(() => validateParameters(dailyVitals, { from: '2024-01-01', to: '2024-12-31' })).not.toThrow();
  });

  const NOT_A_TOKEN = 'patient_token: must be a patient token (64 lowercase hex characters)';
  it.each([
    ["x'; DROP TABLE vitals; --", NOT_A_TOKEN],
    ['1 OR 1=1', NOT_A_TOKEN],
    ["' OR partner_id <> '", NOT_A_TOKEN],
    ['A'.repeat(64), NOT_A_TOKEN],
    [`${'a'.repeat(63)}\u0430`, NOT_A_TOKEN], // Cyrillic a: looks like a token, is not one
    ['\uff41'.repeat(64), NOT_A_TOKEN], // full-width a
    [`${'a'.repeat(64)}\n`, 'patient_token: contains control or invisible characters'],
    [`${'a'.repeat(32)}\u200b${'a'.repeat(32)}`, 'patient_token: contains control or invisible characters'],
    ['a'.repeat(10_000), 'patient_token: is longer than 256 characters'],
  ])('refuses the hostile patient_token %#, without echoing it', (hostile, expected) => {
    // Act
    const problems = problemsOf({ from: '2024-03-01', to: '2024-03-02', patient_token: hostile });
    // Assess
    expect(problems).toEqual([expected]);
  });

  it.each([
    ['2024-3-1'],
    ['2024-03-01T00:00:00Z'],
    ["2024-03-01' OR '1'='1"],
    ['２０２４-03-01'],
    ['1 OR 1=1'],
    ['0000-01-01'],
  ])('refuses the date %p', (bad) => {
    expect(problemsOf({ from: bad, to: '2024-03-02' })).toEqual([
      'from: must be a real calendar date written YYYY-MM-DD (e.g. 2024-03-01)',
    ]);
  });

  it('refuses site values that only look allowed', () => {
    expect(problemsOf({ from: '2024-03-01', to: '2024-03-02', site: 'SG OR 1=1' })).toEqual([
      'site: must be one of SG, US',
    ]);
    expect(problemsOf({ from: '2024-03-01', to: '2024-03-02', site: 'S\u200bG' })).toEqual([
      'site: contains control or invisible characters',
    ]);
  });

  it('does not echo a hostile parameter name', () => {
    expect(problemsOf({ from: '2024-03-01', to: '2024-03-02', "x'--": '1' })).toEqual([
      'a parameter is not a parameter of daily_vitals (it takes: from, to, patient_token, site)',
    ]);
  });

  it('ignores inherited object properties as parameter names', () => {
    const params = Object.create({ from: '2024-03-01' }) as Record<string, string>;
    params.to = '2024-03-02';
    expect(problemsOf(params)).toEqual(['from is required: first day (UTC) to include, YYYY-MM-DD']);
  });
});

describe('dayNumber', () => {
  it('knows leap years', () => {
    expect(dayNumber('2024-02-29')).toBe(19782);
    expect(dayNumber('2023-02-29')).toBeUndefined();
  });
});
