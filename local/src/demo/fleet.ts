/**
 * A synthetic fleet for the demo lake: patients at the SG and US sites,
 * their wearables, and a few days of vitals, ECG intervals, gait summaries
 * and medication doses. Seeded, so the same options give the same files.
 *
 * The data is shaped like real exports, dirt included: a few out-of-range
 * readings, an unknown dose unit, duplicated rows, a US clinic row without a
 * UTC offset, clinic exports with messy headers ("HR", "Heart Rate (bpm)",
 * "SpO2 (%)"), and one semicolon-delimited export. patients.csv carries fake
 * but realistic names, emails, phones, birth dates and street addresses, so
 * the privacy treatment has something to remove.
 *
 * The parts live in fleet/: the patients, the vitals, the daily ECG, gait and
 * doses. They draw from one random sequence in a fixed order (patients,
 * devices, vitals, daily), which is what keeps a seed's files the same.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FleetDataset } from './fleet/csv';
import { csv } from './fleet/csv';
import { dailyFiles } from './fleet/daily';
import type { Medication } from './fleet/patients';
import { createPatients, patientFiles } from './fleet/patients';
import { createRandom, drawsFrom } from './fleet/random';
import type { Planted } from './fleet/vitals';
import { vitalsFiles } from './fleet/vitals';

export interface FleetOptions {
  /** PRNG seed (default 7). */
  seed?: number;
  /** Patients across both sites (default 300). */
  patients?: number;
  /** Days of readings (default: 3 to 5, chosen by the seed). */
  days?: number;
  /** First day of readings, UTC midnight (default: `days` days before today). */
  start?: Date;
  /** Minutes between vitals readings per patient: each gap is drawn from this range (default 15..30). */
  vitalsEveryMinutes?: { min: number; max: number };
}

export interface FleetFile {
  dataset: FleetDataset;
  /** Absolute path of the CSV written. */
  path: string;
  /** Data rows written (header excluded), dirt included. */
  rows: number;
  /** What makes this file interesting. */
  note: string;
}

export interface Fleet {
  dir: string;
  files: FleetFile[];
  patients: number;
  days: number;
  /** The dirty rows planted on purpose, by kind, so a demo can explain its rejects. */
  planted: Planted;
  /** Each patient's wearable and baselines, for the live device simulator. */
  wearers: Wearer[];
}

/** A patient wearing a device, as the live simulator needs them. */
export interface Wearer {
  patientId: string;
  site: 'SG' | 'US';
  deviceSerial: string;
  restingHr: number;
  spo2: number;
  medications: Medication[];
}

/**
 * Writes the synthetic fleet's CSVs under `dir/<dataset>/` and returns what
 * was written. Deterministic for the same options.
 */
export async function generateFleet(dir: string, options: FleetOptions = {}): Promise<Fleet> {
  const draws = drawsFrom(createRandom(options.seed ?? 7));
  const patientCount = options.patients ?? 300;
  const days = options.days ?? draws.int(3, 5);
  const today = new Date();
  const start =
    options.start ?? new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - days));
  const every = options.vitalsEveryMinutes ?? { min: 15, max: 30 };
  const planted: Planted = { outOfRange: 0, unknownUnit: 0, duplicates: 0, missingOffset: 0 };

  // The order of these calls is the order of the draws: changing it changes every seed's files.
  const patients = createPatients(patientCount, start, draws);
  const specs = [
    ...patientFiles(patients, draws),
    ...vitalsFiles(patients, { start, days, every }, draws, planted),
    ...dailyFiles(patients, { start, days }, draws, planted),
  ];

  const files: FleetFile[] = [];
  for (const spec of specs) {
    const folder = join(dir, spec.dataset);
    await mkdir(folder, { recursive: true });
    const path = join(folder, spec.name);
    await writeFile(path, csv(spec.header, spec.rows, spec.delimiter));
    files.push({ dataset: spec.dataset, path, rows: spec.rows.length, note: spec.note });
  }

  const wearers = patients.map((p) => ({
    patientId: p.id,
    site: p.site,
    deviceSerial: p.device,
    restingHr: p.restingHr,
    spo2: p.spo2,
    medications: p.medications,
  }));
  return { dir, files, patients: patientCount, days, planted, wearers };
}
