import { curatedColumns, type CuratedValue, type DatasetContract } from '../../../src/datasets/contract';
import { getContract } from '../../../src/datasets/registry';
import { HeaderError } from '../../../src/normalize/header-plan';
import { createRowNormalizer, type RowNormalizerOptions, type RowResult } from '../../../src/normalize/row-normalizer';
import { createTokenizer } from '../../../src/privacy/tokenize';

const tokenizer = createTokenizer(Buffer.alloc(32, 9));
const options: RowNormalizerOptions = {
  tokenizer,
  sourceHash: 'f'.repeat(64),
  ingestedAt: new Date('2026-01-05T03:00:00Z'),
};

/** Normalizes one row given as {header: value} and returns the result. */
function run(dataset: string, row: Record<string, string>, extra: Partial<RowNormalizerOptions> = {}): RowResult {
  const normalizer = createRowNormalizer(getContract(dataset), Object.keys(row), { ...options, ...extra });
  return normalizer.normalize(Object.values(row), 7);
}

/** The curated value of `column` in an accepted row. */
function value(contract: DatasetContract, result: RowResult, column: string): CuratedValue | undefined {
  if (!result.ok) throw new Error(`row was rejected: ${result.rejections.map((r) => r.reason).join('; ')}`);
  return result.values[curatedColumns(contract).findIndex((c) => c.name === column)];
}

const vitalsRow = {
  patient_id: 'US-MRN-00002',
  device_serial: 'PLW-2B-00000042',
  recorded_at: '2026-01-02T08:00:00-05:00',
  site: 'US',
  heart_rate_bpm: '72',
  temperature_c: '36.6',
};

describe('vitals rows', () => {
  const vitals = getContract('vitals');

  it('accepts a clean row with tokens, UTC time, partition and lineage', () => {
    const result = run('vitals', vitalsRow);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.site).toBe('US');
    expect(result.dt).toBe('2026-01-02');
    expect(value(vitals, result, 'patient_token')).toBe(tokenizer.token('patient_token', 'US-MRN-00002'));
    expect(value(vitals, result, 'device_token')).toBe(tokenizer.token('device_token', 'PLW-2B-00000042'));
    expect(value(vitals, result, 'recorded_at')).toEqual(new Date('2026-01-02T13:00:00Z'));
    expect(value(vitals, result, 'heart_rate_bpm')).toBe(72);
    expect(value(vitals, result, 'spo2_pct')).toBeNull();
    expect(value(vitals, result, '_source_hash')).toBe('f'.repeat(64));
    expect(value(vitals, result, '_source_line')).toBe(7);
    expect(value(vitals, result, '_ingested_at')).toEqual(options.ingestedAt);
    expect(result.values).toHaveLength(curatedColumns(vitals).length);
    expect(JSON.stringify(result.values)).not.toContain('MRN');
  });

  it('rejects a row whose heart rate is out of range', () => {
    const result = run('vitals', { ...vitalsRow, heart_rate_bpm: '900' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejections).toEqual([
      { line: 7, column: 'heart_rate_bpm', rule: 'range', reason: 'heart_rate_bpm 900 is outside 20..250 bpm' },
    ]);
  });

  it('converts °F to °C from the header', () => {
    const row = {
      'Patient ID': 'US-MRN-00002',
      Timestamp: '2026-01-02T08:00:00Z',
      Site: 'US',
      'Temperature (°F)': '98.6',
    };
    expect(value(vitals, run('vitals', row), 'temperature_c')).toBe(37);
  });

  it('converts °F to °C from a unit column, which is neither stored nor unknown', () => {
    const normalizer = createRowNormalizer(
      vitals,
      ['patient_id', 'recorded_at', 'site', 'temperature', 'temperature_unit'],
      options,
    );
    expect(normalizer.header.unknown).toEqual([]);
    const result = normalizer.normalize(['P1', '2026-01-02T08:00:00Z', 'US', '100.4', 'degF'], 1);
    expect(value(vitals, result, 'temperature_c')).toBe(38);
    expect(curatedColumns(vitals).map((c) => c.name)).not.toContain('temperature_unit');
  });

  it('rejects a temperature that is out of range after conversion, naming both units', () => {
    const { temperature_c: _celsius, ...rest } = vitalsRow;
    const result = run('vitals', { ...rest, 'Temperature (°F)': '212' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejections[0]?.reason).toBe('temperature_c 212 F (100 C) is outside 30..45 C');
  });

  it('reads a local SG time as +08:00', () => {
    const result = run('vitals', { ...vitalsRow, site: 'SG', recorded_at: '2026-01-02 07:30' });
    expect(value(vitals, result, 'recorded_at')).toEqual(new Date('2026-01-01T23:30:00Z'));
    expect(result.ok && result.dt).toBe('2026-01-01');
  });

  it('rejects a US time without offset', () => {
    const result = run('vitals', { ...vitalsRow, recorded_at: '2026-01-02 08:00' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejections).toEqual([
      {
        line: 7,
        column: 'recorded_at',
        rule: 'time_zone',
        reason: "recorded_at '2026-01-02 08:00' has no UTC offset and no time zone is configured for site US",
      },
    ]);
  });

  it('rejects a row whose site is not SG or US, keeping the patient as a token in rejects', () => {
    const result = run('vitals', { ...vitalsRow, site: 'UK' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejections[0]).toMatchObject({ column: 'site', rule: 'allowed' });
    expect(result.protectedValues.site).toBe('UK');
    expect(result.protectedValues.patient_token).toBe(tokenizer.token('patient_token', 'US-MRN-00002'));
    expect(JSON.stringify(result.protectedValues)).not.toContain('US-MRN');
  });

  it('accepts site spellings such as Singapore', () => {
    const result = run('vitals', { ...vitalsRow, site: ' singapore ' });
    expect(result.ok && result.site).toBe('SG');
  });

  it('reports every problem of a row, not only the first', () => {
    const result = run('vitals', { ...vitalsRow, patient_id: '', heart_rate_bpm: 'abc', spo2_pct: '101' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejections.map((r) => `${r.column ?? ''}:${r.rule}`)).toEqual([
      'patient_id:required',
      'heart_rate_bpm:type',
      'spo2_pct:range',
    ]);
    expect(result.rejections[1]?.reason).toBe("heart_rate_bpm 'abc' is not a number");
  });

  it('reads numbers written with spaces, and decimal commas when the source uses them', () => {
    expect(value(vitals, run('vitals', { ...vitalsRow, temperature_c: ' 36 .6 ' }), 'temperature_c')).toBe(36.6);
    expect(
      value(vitals, run('vitals', { ...vitalsRow, temperature_c: '36,6' }, { decimalComma: true }), 'temperature_c'),
    ).toBe(36.6);
    const withoutOption = run('vitals', { ...vitalsRow, temperature_c: '36,6' });
    expect(withoutOption.ok).toBe(false);
  });

  it('gives rows with the same patient, device and time the same dedupe fingerprint', () => {
    const a = run('vitals', vitalsRow);
    const b = run('vitals', { ...vitalsRow, recorded_at: '2026-01-02T13:00:00Z', heart_rate_bpm: '75' });
    const c = run('vitals', { ...vitalsRow, recorded_at: '2026-01-02T13:01:00Z' });
    expect(a.ok && b.ok && c.ok).toBe(true);
    if (!a.ok || !b.ok || !c.ok) return;
    expect(b.dedupeFingerprint).toBe(a.dedupeFingerprint);
    expect(c.dedupeFingerprint).not.toBe(a.dedupeFingerprint);
  });
});

describe('header mapping', () => {
  const vitals = getContract('vitals');

  it('maps messy clinic headers to contract columns', () => {
    const header = [
      '\uFEFFPatient ID',
      'Device SN',
      'Reading Time',
      'Site Code',
      'HR',
      'SpO2 (%)',
      'BP Systolic',
      'BP Diastolic',
      'Resp_(BPM)',
    ];
    const normalizer = createRowNormalizer(vitals, header, options);
    expect(normalizer.header.mapped.map((m) => m.column)).toEqual([
      'patient_id',
      'device_serial',
      'recorded_at',
      'site',
      'heart_rate_bpm',
      'spo2_pct',
      'systolic_mmhg',
      'diastolic_mmhg',
    ]);
    // 'Resp_(BPM)', by position: manifests never carry header text.
    expect(normalizer.header.unknown).toEqual([9]);
  });

  it('keeps unknown columns out of curated and rejects', () => {
    const result = run('vitals', { ...vitalsRow, nurse_notes: 'called Mrs Tan at home', heart_rate_bpm: '900' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(JSON.stringify(result)).not.toContain('Mrs Tan');
  });

  it('refuses a header without a required column, naming it and the accepted headers', () => {
    const act = () => createRowNormalizer(vitals, ['patient_id', 'site', 'heart_rate_bpm', 'US-MRN-00002'], options);
    expect(act).toThrow(HeaderError);
    expect(act).toThrow(/lacks required column recorded_at \(accepted headers: recorded_at, timestamp, time/);
    // A header row that is really data must not be echoed.
    expect(act).not.toThrow(/US-MRN/);
  });

  it('refuses a header where two columns feed the same field', () => {
    expect(() =>
      createRowNormalizer(vitals, ['patient_id', 'recorded_at', 'site', 'HR', 'Heart Rate'], options),
    ).toThrow(/'HR' and 'Heart Rate' both map to heart_rate_bpm/);
  });
});

describe('patients rows', () => {
  const patients = getContract('patients');
  const patientRow = {
    patient_id: 'SG-MRN-00001',
    first_name: 'Mei Ling',
    last_name: 'Tan',
    email: 'mei.ling.tan1@example.com',
    phone: '+65 9123 4567',
    street_address: 'Blk 123 Ang Mo Kio Ave 3 #05-012',
    postal_code: '560123',
    birth_date: '1950-06-15',
    sex: 'female',
    site: 'SG',
    partner_id: 'clinic-sg',
    enrolled_at: '2024-03-01T09:00:00+08:00',
  };

  it('drops names, emails, phones and street addresses', () => {
    const result = run('patients', patientRow);
    expect(result.ok).toBe(true);
    const text = JSON.stringify(result);
    for (const pii of ['Mei Ling', 'Tan', 'example.com', '9123', 'Ang Mo Kio', 'SG-MRN'])
      expect(text).not.toContain(pii);
    const names = curatedColumns(patients).map((c) => c.name);
    for (const column of [
      'first_name',
      'last_name',
      'full_name',
      'email',
      'phone',
      'street_address',
      'birth_date',
      'postal_code',
    ])
      expect(names).not.toContain(column);
  });

  it('keeps birth year, postal prefix, sex and partner', () => {
    const result = run('patients', patientRow);
    expect(value(patients, result, 'birth_year')).toBe(1950);
    expect(value(patients, result, 'postal_prefix')).toBe('560');
    expect(value(patients, result, 'sex')).toBe('F');
    expect(value(patients, result, 'partner_id')).toBe('clinic-sg');
    expect(result.ok && result.dt).toBe('2026-01-05');
  });

  it('top-codes ages over 89', () => {
    expect(value(patients, run('patients', { ...patientRow, birth_date: '1928-02-29' }), 'birth_year')).toBe(1936);
  });

  it('rejects an invalid birth date without echoing it', () => {
    const result = run('patients', { ...patientRow, birth_date: '1950-02-30' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejections).toEqual([
      { line: 7, column: 'birth_date', rule: 'type', reason: 'birth_date is not a date (expected YYYY-MM-DD)' },
    ]);
    expect(result.protectedValues.birth_year).toBeNull();
    expect(JSON.stringify(result)).not.toContain('1950-02-30');
    expect(JSON.stringify(result)).not.toContain('Tan');
  });

  it('never echoes an identifier that fails its checks', () => {
    const normalizer = createRowNormalizer(
      getContract('devices'),
      ['device_serial', 'patient_id', 'model', 'site'],
      options,
    );
    const result = normalizer.normalize(['PLW-2A-1', 'SG-MRN-00001', '', 'SG'], 3);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toMatch(/PLW-2A-1|SG-MRN/);
  });
});

describe('dosage, ECG and gait rows', () => {
  const dosage = getContract('dosage');
  const doseRow = {
    patient_id: 'SG-MRN-1',
    administered_at: '2026-01-02T08:05:00+08:00',
    medication: 'levothyroxine',
    dose_mg: '50',
    dose_unit: 'mcg',
    prescribed_max_mg: '0.2',
    route: 'PO',
    site: 'SG',
  };

  it('converts mcg doses to mg from the dose unit column', () => {
    const result = run('dosage', doseRow);
    expect(value(dosage, result, 'dose_mg')).toBe(0.05);
    expect(value(dosage, result, 'route')).toBe('oral');
  });

  it('converts µg doses to mg from a "Dose (µg)" header', () => {
    const { dose_mg: _dose, dose_unit: _unit, ...rest } = doseRow;
    expect(value(dosage, run('dosage', { ...rest, 'Dose (µg)': '125' }), 'dose_mg')).toBe(0.125);
  });

  it('rejects a dose in an unknown unit, naming the accepted units', () => {
    const result = run('dosage', { ...doseRow, dose_unit: 'units' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejections[0]).toMatchObject({
      column: 'dose_mg',
      rule: 'unit',
      reason: "dose_unit 'units' is not a unit accepted for dose_mg (accepted: mg, mcg, g)",
    });
  });

  it('converts ECG intervals given in seconds to ms and maps rhythm spellings', () => {
    const ecg = getContract('ecg');
    const result = run('ecg', {
      patient_id: 'P1',
      recorded_at: '2026-01-02T08:00:00Z',
      site: 'US',
      'QT (s)': '0.412',
      QRS: '96',
      rhythm: 'AFib',
    });
    expect(value(ecg, result, 'qt_ms')).toBe(412);
    expect(value(ecg, result, 'qrs_ms')).toBe(96);
    expect(value(ecg, result, 'rhythm')).toBe('atrial fibrillation');
  });

  it('rejects a rhythm the device algorithm does not produce', () => {
    const result = run('ecg', {
      patient_id: 'P1',
      recorded_at: '2026-01-02T08:00:00Z',
      site: 'US',
      rhythm: 'junctional',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejections[0]?.reason).toMatch(/^rhythm 'junctional' is not one of sinus rhythm, /);
  });

  it('reads yes/no fall flags and whole step counts', () => {
    const gait = getContract('gait');
    const base = { patient_id: 'P1', recorded_at: '2026-01-02T20:00:00+08:00', site: 'SG', step_count: '4 512' };
    for (const [text, expected] of [
      ['yes', true],
      ['N', false],
      ['1', true],
      ['false', false],
    ] as const) {
      expect(value(gait, run('gait', { ...base, fall_detected: text }), 'fall_detected')).toBe(expected);
    }
    expect(value(gait, run('gait', base), 'step_count')).toBe(4512);
    const bad = run('gait', { ...base, step_count: '12.5', fall_detected: 'maybe' });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.rejections.map((r) => r.reason)).toEqual([
      "step_count '12.5' is not a whole number",
      "fall_detected 'maybe' is not a yes/no value (accepted: yes, no, true, false, y, n, 1, 0)",
    ]);
  });
});

describe('row rules across columns', () => {
  const ecgRow = {
    patient_id: 'SG-MRN-1',
    recorded_at: '2026-01-02T08:00:00+08:00',
    site: 'SG',
    heart_rate_bpm: '75',
    qt_ms: '380',
    rr_ms: '800',
    qtc_ms: '425',
  };
  const doseRow = {
    patient_id: 'SG-MRN-1',
    administered_at: '2026-01-02T08:00:00+08:00',
    medication: 'warfarin',
    dose_mg: '2.5',
    prescribed_max_mg: '10',
    route: 'oral',
    site: 'SG',
  };

  it('accepts a QTc that one of the usual corrections gives (Bazett 425, Fridericia 409) and rejects one none gives, naming the rule', () => {
    expect(run('ecg', ecgRow).ok).toBe(true);
    expect(run('ecg', { ...ecgRow, qtc_ms: '409' }).ok).toBe(true);
    const result = run('ecg', { ...ecgRow, qtc_ms: '520' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejections).toEqual([
      {
        line: 7,
        column: 'qt_ms+rr_ms+qtc_ms',
        rule: 'qtc_consistent_with_qt_rr',
        reason: expect.stringContaining('Bazett'),
      },
    ]);
    expect(result.protectedValues.patient_token).toBe(tokenizer.token('patient_token', 'SG-MRN-1'));
  });

  it('skips a rule when a value it reads is missing, and never runs it on a row that already failed', () => {
    expect(run('ecg', { ...ecgRow, rr_ms: '' }).ok).toBe(true);
    const result = run('ecg', { ...ecgRow, qtc_ms: '520', qt_ms: 'n/a' });
    expect(!result.ok && result.rejections.map((r) => r.rule)).toEqual(['type']);
  });

  it('keeps a dose above the prescribed maximum and flags it, with no flag on other rows', () => {
    const dosage = getContract('dosage');
    expect(curatedColumns(dosage).map((c) => c.name)).toContain('_quality_flags');
    expect(curatedColumns(getContract('vitals')).map((c) => c.name)).not.toContain('_quality_flags');
    expect(value(dosage, run('dosage', doseRow), '_quality_flags')).toBeNull();
    expect(value(dosage, run('dosage', { ...doseRow, dose_mg: '15' }), '_quality_flags')).toBe(
      'dose_within_prescribed_max',
    );
    // Compared in the contract's units: 12,000 mcg is 12 mg.
    expect(value(dosage, run('dosage', { ...doseRow, dose_mg: '12000', dose_unit: 'mcg' }), '_quality_flags')).toBe(
      'dose_within_prescribed_max',
    );
  });
});
