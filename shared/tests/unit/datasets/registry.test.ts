import { curatedColumns, curatedDedupeKey, type DatasetContract } from '../../../src/datasets/contract';
import {
  assertLoadableContract,
  DATASETS,
  datasetNamedBySheet,
  detectDatasetFromHeader,
  detectDatasetOfSheet,
  detectDatasetFromKey,
  findContract,
  getContract,
  UnknownDatasetError,
} from '../../../src/datasets/registry';
import { vitals } from '../../../src/datasets/vitals';

describe('dataset registry', () => {
  it('knows patients, devices, vitals, ecg, gait and dosage', () => {
    expect(DATASETS.map((d) => d.name)).toEqual(['patients', 'devices', 'vitals', 'ecg', 'gait', 'dosage']);
    expect(findContract('gait')?.name).toBe('gait');
    expect(findContract('weather')).toBeUndefined();
  });

  it('names the known datasets when asked for an unknown one', () => {
    expect(() => getContract('weather')).toThrow(UnknownDatasetError);
    expect(() => getContract('weather')).toThrow(
      "unknown dataset 'weather'; known datasets: patients, devices, vitals, ecg, gait, dosage",
    );
  });

  it('stores no direct identifier and no raw identifier in any curated table', () => {
    for (const contract of DATASETS) {
      const stored = curatedColumns(contract);
      expect(stored.filter((c) => c.pii === 'direct')).toEqual([]);
      for (const column of [
        'patient_id',
        'device_serial',
        'first_name',
        'email',
        'phone',
        'street_address',
        'birth_date',
        'postal_code',
      ]) {
        expect(stored.map((c) => c.name)).not.toContain(column);
      }
    }
  });

  it('tokenizes patient ids under the same name in every dataset, so tables join', () => {
    for (const contract of DATASETS) {
      const column = contract.columns.find((c) => c.name === 'patient_id');
      expect(column?.treatment).toEqual({ kind: 'tokenize', as: 'patient_token' });
    }
    expect(curatedDedupeKey(getContract('patients'))).toEqual(['patient_token']);
  });

  it('detects the dataset from the first folder of a key', () => {
    expect(detectDatasetFromKey('vitals/clinic-sg/2026-01-02.csv')?.name).toBe('vitals');
    expect(detectDatasetFromKey('Dosage/x.csv')?.name).toBe('dosage');
    expect(detectDatasetFromKey('misc/x.csv')).toBeUndefined();
    expect(detectDatasetFromKey('x.csv')).toBeUndefined();
  });

  it('detects the dataset from a header', () => {
    expect(
      detectDatasetFromHeader([
        'Patient ID',
        'Device SN',
        'Timestamp',
        'Site',
        'Heart Rate (bpm)',
        'SpO2 (%)',
        'Temperature (°F)',
      ])?.name,
    ).toBe('vitals');
    expect(
      detectDatasetFromHeader([
        'patient_id',
        'device_serial',
        'recorded_at',
        'site',
        'heart_rate_bpm',
        'pr_ms',
        'qrs_ms',
        'qt_ms',
        'qtc_ms',
        'rr_ms',
        'rhythm',
      ])?.name,
    ).toBe('ecg');
    expect(
      detectDatasetFromHeader([
        'patient_id',
        'administered_at',
        'medication',
        'dose_mg',
        'dose_unit',
        'prescribed_max_mg',
        'route',
        'site',
      ])?.name,
    ).toBe('dosage');
    expect(detectDatasetFromHeader(['patient_id', 'first_name', 'birth_date', 'site', 'partner_id'])?.name).toBe(
      'patients',
    );
    expect(detectDatasetFromHeader(['device_serial', 'patient_id', 'model', 'firmware_version', 'site'])?.name).toBe(
      'devices',
    );
    expect(detectDatasetFromHeader(['a', 'b', 'c'])).toBeUndefined();
  });

  it("tells a workbook sheet's dataset by its name when the header has that dataset's required columns, else by the header", () => {
    const heartRateOnly = ['patient_id', 'recorded_at', 'site', 'heart_rate_bpm'];
    expect(detectDatasetOfSheet('Sheet1', heartRateOnly)?.name).toBe('vitals');
    expect(detectDatasetOfSheet('ECG', heartRateOnly)?.name).toBe('ecg');
    expect(detectDatasetOfSheet(' Gait ', heartRateOnly)?.name).toBe('gait');
    // A name cannot make a dataset of a header without its required columns.
    expect(detectDatasetOfSheet('Dosage', heartRateOnly)?.name).toBe('vitals');
    expect(datasetNamedBySheet('Dosages')?.name).toBe('dosage');
    expect(datasetNamedBySheet('device')?.name).toBe('devices');
    expect(datasetNamedBySheet('Vital')?.name).toBe('vitals');
    expect(datasetNamedBySheet('Notes')).toBeUndefined();
    expect(datasetNamedBySheet('')).toBeUndefined();
  });

  it('refuses a contract whose aliases send one header to two columns', () => {
    const broken: DatasetContract = {
      ...vitals,
      columns: vitals.columns.map((c) => (c.name === 'spo2_pct' ? { ...c, aliases: ['HR'] } : c)),
    };
    expect(() => assertLoadableContract(broken)).toThrow(/headers 'hr' map to both heart_rate_bpm and spo2_pct/);
  });

  it('refuses a contract accepting a unit it cannot convert', () => {
    const broken: DatasetContract = {
      ...vitals,
      columns: vitals.columns.map((c) => (c.name === 'temperature_c' ? { ...c, acceptedUnits: ['F', 'mg'] } : c)),
    };
    expect(() => assertLoadableContract(broken)).toThrow(/accepts unit mg but there is no conversion from it to C/);
  });

  it('refuses a row rule reading a column curated does not keep', () => {
    const rule = {
      id: 'names_match',
      description: 'first and last name differ',
      columns: ['first_name', 'site'],
      check: () => true,
      severity: 'reject' as const,
    };
    expect(() => assertLoadableContract({ ...getContract('patients'), rowRules: [rule] })).toThrow(
      /row rule names_match reads first_name, which is not a column kept in curated/,
    );
  });

  it('refuses a contract with a local time zone that does not exist', () => {
    expect(() => assertLoadableContract({ ...vitals, localTimeZones: { US: 'America/Nowhere' } })).toThrow(
      /local time zone America\/Nowhere is not known/,
    );
  });
});
