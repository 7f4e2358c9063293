import { readFile, rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFleet } from '../../../src/demo/fleet';

describe('the synthetic demo fleet', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pulse-lake-fleet-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is the same for the same seed', async () => {
    const start = new Date('2026-03-01T00:00:00Z');
    const a = await generateFleet(join(dir, 'a'), { seed: 3, patients: 10, days: 1, start });
    const b = await generateFleet(join(dir, 'b'), { seed: 3, patients: 10, days: 1, start });
    for (const [i, file] of a.files.entries())
      expect(await readFile(file.path, 'utf8')).toBe(await readFile(b.files[i]?.path ?? '', 'utf8'));
  });

  it('writes every dataset, both sites and partners, and the planted dirt', async () => {
    // Act
    const fleet = await generateFleet(dir, { patients: 20, days: 2, start: new Date('2026-03-01T00:00:00Z') });
    const text = async (name: string) => readFile(fleet.files.find((f) => f.path.endsWith(name))?.path ?? '', 'utf8');
    // Assess
    expect(new Set(fleet.files.map((f) => f.dataset))).toEqual(
      new Set(['patients', 'devices', 'vitals', 'ecg', 'gait', 'dosage']),
    );
    const patients = await text('patients.csv');
    expect(patients.split('\r\n')[0]).toContain('first_name,last_name,email,phone,street_address');
    expect(patients).toContain('clinic-sg');
    expect(patients).toContain('clinic-us');
    expect(fleet.planted.outOfRange).toBeGreaterThan(0);
    expect(fleet.planted.duplicates).toBeGreaterThan(0);
    expect(fleet.planted.unknownUnit).toBe(1);
    expect(fleet.planted.missingOffset).toBe(1);
    expect((await text('clinic-sg-export.csv')).split('\r\n')[0]).toBe(
      'Patient ID;Site Code;Reading Time;HR;SpO2 (%);BP Systolic;BP Diastolic',
    );
    expect((await text('clinic-us-export.csv')).split('\r\n')[0]).toContain('Heart Rate (bpm)');
    expect(await text('vitals-device-upload.csv')).toContain(',900,');
    expect(await text('dosage-administrations.csv')).toMatch(/,mcg,/);
  });
});
