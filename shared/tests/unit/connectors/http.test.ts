import { backoffMs, retryAfterMs } from '../../../src/connectors/http';
import { isDue } from '../../../src/connectors/run-connector';
import { mapRecord, nextLink, valueAt } from '../../../src/connectors/streams';
import { parseConnectorConfig } from '../../../src/connectors/config';

describe('Retry-After', () => {
  const now = Date.parse('2026-03-01T10:00:00Z');
  it('reads delta-seconds and HTTP-dates, and ignores what it cannot read', () => {
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Sun, 01 Mar 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Sun, 01 Mar 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe('exponential backoff', () => {
  it('doubles from the base with jitter between half and all of it, up to the cap', () => {
    expect([0, 1, 2, 3].map((attempt) => backoffMs(attempt, 500, 3000, 1))).toEqual([500, 1000, 2000, 3000]);
    expect(backoffMs(2, 500, 30_000, 0)).toBe(1000);
  });
});

describe('Link header', () => {
  it('finds rel="next" among several links and resolves it against the request', () => {
    const base = new URL('https://api.example/v1/items?page=1');
    expect(
      nextLink(
        '<https://api.example/v1/items?page=2>; rel="next", <https://api.example/v1/items?page=9>; rel="last"',
        base,
      ),
    ).toBe('https://api.example/v1/items?page=2');
    expect(nextLink('</v1/items?page=3>; rel="prev next"', base)).toBe('https://api.example/v1/items?page=3');
    expect(nextLink('<https://api.example/v1/items?page=1>; rel="first"', base)).toBeUndefined();
    expect(nextLink(null, base)).toBeUndefined();
  });
});

describe('field mapping', () => {
  it('takes scalar values at dotted paths and constants, and leaves out what is missing or not a value', () => {
    const record = { patient: { mrn: 'SG-MRN-00001' }, doses: [{ value: 5 }], note: { free: 'text' } };
    expect(valueAt(record, 'doses.0.value')).toBe(5);
    expect(
      mapRecord(record, {
        patient_id: 'patient.mrn',
        dose_mg: 'doses.0.value',
        site: { const: 'SG' },
        medication: 'note',
        route: 'missing.path',
      }),
    ).toEqual({ patient_id: 'SG-MRN-00001', dose_mg: 5, site: 'SG' });
  });
});

describe('connector schedules', () => {
  const config = parseConnectorConfig(
    {
      name: 'fhir-x',
      kind: 'fhir',
      schedule: 'cron(0 2 * * ? *)',
      baseUrl: 'https://fhir.example',
      site: 'SG',
      resources: ['Observation'],
      incremental: { start: '2026-01-01T00:00:00Z', lookbackMinutes: 5 },
    },
    'fhir-x.json',
  );
  const run = (startedAt: string) => ({
    runId: 'r',
    startedAt,
    leaseUntil: startedAt,
    outcome: 'complete' as const,
    pages: 0,
    records: 0,
    requests: 0,
  });
  it('is due when it never ran, or when its schedule fired since its last run started', () => {
    expect(isDue(config, undefined, new Date('2026-03-01T00:00:00Z'))).toBe(true);
    expect(isDue(config, run('2026-03-01T02:00:10Z'), new Date('2026-03-02T01:59:00Z'))).toBe(false);
    expect(isDue(config, run('2026-03-01T02:00:10Z'), new Date('2026-03-02T02:00:30Z'))).toBe(true);
  });
});
