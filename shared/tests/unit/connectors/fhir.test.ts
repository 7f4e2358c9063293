import { readFileSync } from 'node:fs';
import {
  administrationsToDosage,
  latestUpdate,
  observationsToVitals,
  readSearchBundle,
} from '../../../src/connectors/fhir';

const bundle: unknown = JSON.parse(readFileSync(new URL('./fixtures/mixed-searchset.json', import.meta.url), 'utf8'));

describe('a FHIR R4 searchset Bundle with mixed resource types', () => {
  it('separates matched resources from included ones and finds the next page link', () => {
    // Act
    const read = readSearchBundle(bundle);
    // Assess
    expect(read.matches.map((r) => r.id)).toEqual([
      'hr-1',
      'spo2-1',
      'bp-1',
      'temp-1',
      'weight-1',
      'hr-void',
      'ma-1',
      'ma-2',
    ]);
    expect([...read.included.keys()]).toEqual(['MedicationRequest/rx-9']);
    expect(read.next).toBe(
      'https://fhir.example/r4/Observation?_lastUpdated=gt2026-03-01T00:00:00Z&_getpages=abc&_getpagesoffset=20',
    );
    // The included request is newer, but only matches move the cursor.
    expect(latestUpdate(read.matches)).toBe('2026-03-02T10:40:00.000Z');
  });

  it('maps vital-sign Observations into vitals rows, one per patient, device and instant', () => {
    // Prepare
    const { matches } = readSearchBundle(bundle);
    // Act
    const mapped = observationsToVitals(matches, 'SG');
    // Assess: HR and SpO2 of one instant (written in two offsets) merge; weight, the voided reading and non-Observations are skipped.
    expect(mapped.rows).toEqual([
      {
        patient_id: 'SG-MRN-00017',
        device_serial: 'PLW-2A-00000017',
        recorded_at: '2026-03-02T16:00:00+08:00',
        site: 'SG',
        heart_rate_bpm: 72,
        spo2_pct: 96,
      },
      { patient_id: '18', recorded_at: '2026-03-02T08:30:00Z', site: 'SG', systolic_mmhg: 138, diastolic_mmhg: 84 },
      { patient_id: '18', recorded_at: '2026-03-02T09:05:00Z', site: 'SG', temperature_c: 99.1, temperature_unit: 'F' },
    ]);
    expect(mapped.skipped).toBe(4);
  });

  it('maps MedicationAdministrations into dosage rows with the included MedicationRequest maximum in mg', () => {
    // Prepare
    const { matches, included } = readSearchBundle(bundle);
    // Act
    const mapped = administrationsToDosage(matches, included, 'US');
    // Assess
    expect(mapped.rows).toEqual([
      {
        patient_id: 'SG-MRN-00017',
        administered_at: '2026-03-02T07:00:00Z',
        medication: 'levothyroxine',
        dose_mg: 50,
        dose_unit: 'mcg',
        prescribed_max_mg: 0.2,
        route: 'oral',
        site: 'US',
      },
    ]);
    // ma-2 was not done; the six Observations are not administrations.
    expect(mapped.skipped).toBe(7);
  });

  it('refuses a body that is not a Bundle', () => {
    expect(() => readSearchBundle({ resourceType: 'OperationOutcome' })).toThrow('not a FHIR Bundle');
  });
});
