import { ConnectorConfigError, parseConnectorConfig, secretNames } from '../../../src/connectors/config';

const pharmacy = {
  name: 'pharmacy-sg',
  kind: 'rest',
  schedule: 'rate(15 minutes)',
  baseUrl: 'https://api.pharmacy.example/',
  path: '/v1/administrations',
  dataset: 'dosage',
  recordsPath: 'data',
  auth: { type: 'api_key', header: 'X-Api-Key', secret: 'pharmacy-sg/api-key' },
  pagination: { type: 'cursor', cursorParam: 'cursor', nextCursorPath: 'next_cursor' },
  incremental: { param: 'updated_since', field: 'updated_at', start: '2026-01-01T00:00:00Z', lookbackMinutes: 10 },
  mapping: {
    patient_id: 'patient.mrn',
    site: { const: 'SG' },
    administered_at: 'given_at',
    medication: 'drug.name',
    dose_mg: 'dose.value',
    dose_unit: 'dose.unit',
  },
};

function problemsOf(file: unknown, expectedName?: string): readonly string[] {
  try {
    parseConnectorConfig(file, 'test.json', expectedName);
  } catch (error) {
    if (error instanceof ConnectorConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('connector config', () => {
  it('accepts a REST connector, filling the limits and paging defaults', () => {
    // Act
    const config = parseConnectorConfig(pharmacy, 'pharmacy-sg.json', 'pharmacy-sg');
    // Assess
    expect(config).toMatchObject({
      kind: 'rest',
      baseUrl: 'https://api.pharmacy.example',
      pageSize: 100,
      query: {},
      limits: { maxRequestsPerRun: 200, maxRetries: 4, runTimeoutSeconds: 240 },
    });
    expect(secretNames(config)).toEqual(['pharmacy-sg/api-key']);
  });

  it('lists every problem of a REST connector in words an engineer can act on', () => {
    // Act
    const problems = problemsOf(
      {
        ...pharmacy,
        name: 'Pharmacy SG',
        schedule: 'rate(5 minute)',
        baseUrl: 'http://api.pharmacy.example',
        dataset: 'dosage',
        pagination: { type: 'scroll' },
        limits: { maxRetries: 50 },
        mapping: { patient_id: 'patient.mrn', dose: 'dose.value', site: { const: 'SG' } },
      },
      'pharmacy-sg',
    );
    // Assess
    expect(problems).toEqual([
      'name "Pharmacy SG" must match ^[a-z0-9][a-z0-9-]{1,62}$',
      'schedule expression "rate(5 minute)": use the plural unit for 5 ("minutes")',
      'baseUrl must be https (plain http only to 127.0.0.1 or localhost), so credentials never cross a network in clear',
      'limits.maxRetries must be a whole number 0..10',
      'pagination.type must be none, cursor, offset, page or link_header',
      expect.stringContaining(
        'mapping names dose, which is not a column of dosage (columns: patient_id, administered_at, medication, dose_mg, dose_unit,',
      ),
      'mapping has no source for administered_at, which dosage requires',
      'mapping has no source for medication, which dosage requires',
      'mapping has no source for dose_mg, which dosage requires',
    ]);
  });

  it('refuses an unknown dataset, a name that is not the file name, and credentials in the URL', () => {
    // Act
    const problems = problemsOf(
      { ...pharmacy, dataset: 'heartbeats', baseUrl: 'https://user:pw@api.pharmacy.example' },
      'pharmacy-us',
    );
    // Assess
    expect(problems).toEqual([
      'name pharmacy-sg must match the file name (pharmacy-us.json): one file per source',
      'baseUrl must not hold credentials; use auth with a secret reference',
      expect.stringContaining('dataset heartbeats is not a known dataset contract (known: patients, devices, vitals'),
    ]);
  });

  it('never echoes what was written where a secret name belongs: it may be the secret itself', () => {
    // Act
    const problems = problemsOf({
      ...pharmacy,
      auth: { type: 'api_key', header: 'X-Api-Key', secret: 'sk live 9f8e7d6c5b4a' },
    });
    // Assess
    expect(problems).toEqual([
      'auth.secret must be the name of a secret (letters, digits, . _ / -), never the secret itself',
    ]);
  });

  it('accepts a FHIR connector with OAuth2 client credentials and an AWS cron schedule', () => {
    // Act
    const config = parseConnectorConfig(
      {
        name: 'fhir-us',
        kind: 'fhir',
        schedule: 'cron(0/30 * * * ? *)',
        baseUrl: 'https://fhir.clinic.example/r4',
        site: 'US',
        resources: ['Observation', 'MedicationAdministration'],
        auth: {
          type: 'oauth2_client_credentials',
          tokenUrl: 'https://auth.clinic.example/token',
          clientId: 'lake',
          clientSecret: 'fhir-us/client-secret',
        },
        incremental: { start: '2026-01-01T00:00:00+08:00', lookbackMinutes: 5 },
      },
      'fhir-us.json',
    );
    // Assess
    expect(config).toMatchObject({
      kind: 'fhir',
      site: 'US',
      incremental: { start: '2025-12-31T16:00:00.000Z', lookbackMinutes: 5 },
    });
    expect(secretNames(config)).toEqual(['fhir-us/client-secret']);
  });

  it('refuses a FHIR connector reading a resource it cannot map, for an unknown site, with a bad start', () => {
    // Act
    const problems = problemsOf({
      name: 'fhir-x',
      kind: 'fhir',
      schedule: 'cron(0 * * * * *)',
      baseUrl: 'https://fhir.example',
      site: 'EU',
      resources: ['Patient'],
      incremental: { start: 'yesterday', lookbackMinutes: 5 },
    });
    // Assess
    expect(problems).toEqual([
      'schedule expression "cron(0 * * * * *)": exactly one of day-of-month and day-of-week must be "?"',
      'incremental.start must be an ISO 8601 datetime, e.g. 2026-01-01T00:00:00Z',
      'resources must be a non-empty list of Observation, MedicationAdministration',
      'site must be one of SG, US',
    ]);
  });
});
