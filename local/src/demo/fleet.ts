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
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
  dataset: 'patients' | 'devices' | 'vitals' | 'ecg' | 'gait' | 'dosage';
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
  planted: { outOfRange: number; unknownUnit: number; duplicates: number; missingOffset: number };
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
  medications: { name: string; dose: number; unit: 'mg' | 'mcg'; maxMg: number; route: string }[];
}

/** mulberry32: small, fast, and good enough for synthetic data. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Patient {
  id: string;
  site: 'SG' | 'US';
  partner: string;
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  street: string;
  postal: string;
  birthDate: string;
  sex: 'F' | 'M';
  enrolledAt: string;
  device: string;
  restingHr: number;
  spo2: number;
  systolic: number;
  diastolic: number;
  medications: { name: string; dose: number; unit: 'mg' | 'mcg'; maxMg: number; route: string }[];
}

const SG_FIRST = [
  'Wei Ling',
  'Ah Kow',
  'Mei Hua',
  'Siew Lan',
  'Kok Leong',
  'Boon Huat',
  'Lakshmi',
  'Rajesh',
  'Nurul',
  'Siti',
  'Hock Seng',
  'Geok Choo',
];
const SG_LAST = ['Tan', 'Lim', 'Lee', 'Ng', 'Wong', 'Goh', 'Chua', 'Teo', 'Subramaniam', 'Abdullah', 'Koh', 'Ong'];
const US_FIRST = [
  'Dorothy',
  'Harold',
  'Margaret',
  'Walter',
  'Betty',
  'Eugene',
  'Shirley',
  'Raymond',
  'Evelyn',
  'Frank',
  'Gloria',
  'Arthur',
];
const US_LAST = [
  'Johnson',
  'Williams',
  'Brown',
  'Miller',
  'Davis',
  'Garcia',
  'Rodriguez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Moore',
  'Jackson',
];
const SG_STREETS = [
  'Ang Mo Kio Ave 3',
  'Toa Payoh Lorong 1',
  'Bedok North Rd',
  'Jurong West St 41',
  'Tampines St 21',
  'Yishun Ring Rd',
];
const US_STREETS = ['Maple St', 'Oak Ave', 'Cedar Ln', 'Elm St', 'Washington Blvd', 'Lakeview Dr'];
const US_CITIES = [
  { city: 'Springfield', state: 'IL', zip: '627' },
  { city: 'Madison', state: 'WI', zip: '537' },
  { city: 'Columbus', state: 'OH', zip: '432' },
];
const MEDICATIONS = [
  { name: 'metformin', dose: 500, unit: 'mg' as const, maxMg: 2000 },
  { name: 'amlodipine', dose: 5, unit: 'mg' as const, maxMg: 10 },
  { name: 'levothyroxine', dose: 50, unit: 'mcg' as const, maxMg: 0.2 },
  { name: 'atorvastatin', dose: 20, unit: 'mg' as const, maxMg: 80 },
  { name: 'digoxin', dose: 125, unit: 'mcg' as const, maxMg: 0.25 },
  { name: 'warfarin', dose: 2.5, unit: 'mg' as const, maxMg: 10 },
];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** ISO 8601 with the given offset in minutes (`+08:00`), or `Z` for 0. */
function isoWithOffset(utc: Date, offsetMinutes: number): string {
  const local = new Date(utc.getTime() + offsetMinutes * 60_000);
  const base = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  if (offsetMinutes === 0) return `${base}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${base}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Local wall-clock time without an offset, as clinic exports write it. */
function localWallClock(utc: Date, offsetMinutes: number): string {
  return isoWithOffset(utc, offsetMinutes).slice(0, 16).replace('T', ' ');
}

/** RFC 4180 field quoting for the delimiter in use. */
function field(value: string | number, delimiter: string): string {
  const text = String(value);
  return text.includes(delimiter) || text.includes('"') || text.includes('\n') ? `"${text.replace(/"/g, '""')}"` : text;
}

function csv(header: string[], rows: (string | number)[][], delimiter = ','): string {
  return `${[header, ...rows].map((row) => row.map((v) => field(v, delimiter)).join(delimiter)).join('\r\n')}\r\n`;
}

// US sites report in US Central time: -06:00 in winter, -05:00 in summer (close enough for synthetic data).
function usOffsetMinutes(day: Date): number {
  const month = day.getUTCMonth();
  return month >= 2 && month <= 10 ? -300 : -360;
}

/**
 * Writes the synthetic fleet's CSVs under `dir/<dataset>/` and returns what
 * was written. Deterministic for the same options.
 */
export async function generateFleet(dir: string, options: FleetOptions = {}): Promise<Fleet> {
  const random = createRandom(options.seed ?? 7);
  const between = (min: number, max: number) => min + random() * (max - min);
  const int = (min: number, max: number) => Math.floor(between(min, max + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const round = (value: number, digits: number) => Number(value.toFixed(digits));

  const patientCount = options.patients ?? 300;
  const days = options.days ?? int(3, 5);
  const today = new Date();
  const start =
    options.start ?? new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - days));
  const every = options.vitalsEveryMinutes ?? { min: 15, max: 30 };
  const planted = { outOfRange: 0, unknownUnit: 0, duplicates: 0, missingOffset: 0 };

  const patients: Patient[] = [];
  for (let i = 0; i < patientCount; i++) {
    const site = i % 2 === 0 ? 'SG' : 'US';
    const firstName = pick(site === 'SG' ? SG_FIRST : US_FIRST);
    const lastName = pick(site === 'SG' ? SG_LAST : US_LAST);
    const age = int(65, 96);
    const birth = new Date(Date.UTC(start.getUTCFullYear() - age, int(0, 11), int(1, 28)));
    const number = pad(i + 1, 5);
    const us = pick(US_CITIES);
    const meds = new Set<(typeof MEDICATIONS)[number]>();
    for (let m = int(1, 3); meds.size < m; ) meds.add(pick(MEDICATIONS));
    patients.push({
      id: `${site}-MRN-${number}`,
      site,
      partner: site === 'SG' ? 'clinic-sg' : 'clinic-us',
      firstName,
      lastName,
      email: `${firstName.toLowerCase().replace(/\s+/g, '.')}.${lastName.toLowerCase()}${i + 1}@example.com`,
      phone:
        site === 'SG' ? `+65 9${int(100, 999)} ${int(1000, 9999)}` : `+1 (555) 01${pad(int(0, 99))}-${int(1000, 9999)}`,
      street:
        site === 'SG'
          ? `Blk ${int(100, 699)} ${pick(SG_STREETS)} #${pad(int(2, 25))}-${pad(int(1, 150), 3)}`
          : `${int(100, 9999)} ${pick(US_STREETS)}, ${us.city}, ${us.state}`,
      postal: site === 'SG' ? `${int(310, 829)}${int(100, 999)}` : `${us.zip}${pad(int(1, 99))}`,
      birthDate: birth.toISOString().slice(0, 10),
      sex: random() < 0.55 ? 'F' : 'M',
      enrolledAt: isoWithOffset(new Date(start.getTime() - int(30, 900) * 86_400_000), 0),
      device: `PLW-${site === 'SG' ? '2A' : '2B'}-${pad(int(0, 99_999_999), 8)}`,
      restingHr: between(58, 82),
      spo2: between(94, 98.5),
      systolic: between(115, 150),
      diastolic: between(68, 88),
      medications: [...meds].map((m) => ({ ...m, route: 'oral' })),
    });
  }

  const files: FleetFile[] = [];
  const write = async (dataset: FleetFile['dataset'], name: string, content: string, rows: number, note: string) => {
    const folder = join(dir, dataset);
    await mkdir(folder, { recursive: true });
    const path = join(folder, name);
    await writeFile(path, content);
    files.push({ dataset, path, rows, note });
  };

  await write(
    'patients',
    'patients.csv',
    csv(
      [
        'patient_id',
        'first_name',
        'last_name',
        'email',
        'phone',
        'street_address',
        'postal_code',
        'birth_date',
        'sex',
        'site',
        'partner_id',
        'enrolled_at',
      ],
      patients.map((p) => [
        p.id,
        p.firstName,
        p.lastName,
        p.email,
        p.phone,
        p.street,
        p.postal,
        p.birthDate,
        p.sex,
        p.site,
        p.partner,
        p.enrolledAt,
      ]),
    ),
    patients.length,
    'names, emails, phones, birth dates and street addresses (dropped or generalized on the way to curated)',
  );

  await write(
    'devices',
    'devices.csv',
    csv(
      ['device_serial', 'patient_id', 'model', 'firmware_version', 'assigned_at', 'site'],
      patients.map((p) => [
        p.device,
        p.id,
        p.site === 'SG' ? 'PulseBand 2A' : 'PulseBand 2B',
        pick(['2.3.1', '2.4.0', '2.4.2']),
        p.enrolledAt,
        p.site,
      ]),
    ),
    patients.length,
    'one wearable per patient',
  );

  // Vitals: device uploads (clean headers, offsets), plus two clinic exports with messy headers.
  const deviceRows: (string | number)[][] = [];
  const usClinicRows: (string | number)[][] = [];
  const sgClinicRows: (string | number)[][] = [];
  const dayMs = 86_400_000;
  for (const p of patients) {
    const offset = p.site === 'SG' ? 480 : usOffsetMinutes(start);
    for (
      let t = start.getTime() + int(0, every.max) * 60_000;
      t < start.getTime() + days * dayMs;
      t += int(every.min, every.max) * 60_000
    ) {
      const at = new Date(t);
      const localHour = (at.getUTCHours() + at.getUTCMinutes() / 60 + offset / 60 + 24) % 24;
      // Circadian drift: lowest around 04:00 local, highest mid-afternoon.
      const circadian = Math.sin(((localHour - 10) / 24) * 2 * Math.PI);
      const hr = round(p.restingHr + 7 * circadian + between(-4, 4), 0);
      const spo2 = round(Math.min(100, p.spo2 + between(-1.2, 1)), 1);
      const sys = round(p.systolic + 8 * circadian + between(-6, 6), 0);
      const dia = round(p.diastolic + 5 * circadian + between(-4, 4), 0);
      const tempC = round(36.5 + 0.3 * circadian + between(-0.2, 0.2), 1);
      const rr = round(between(12, 19), 0);
      deviceRows.push([p.id, p.device, isoWithOffset(at, offset), p.site, hr, spo2, sys, dia, tempC, rr]);
      // A few readings per patient per day are also keyed in at the clinic.
      if (random() < 0.04) {
        if (p.site === 'US')
          usClinicRows.push([
            p.id,
            p.device,
            isoWithOffset(at, offset),
            p.site,
            hr,
            spo2,
            sys,
            dia,
            round((tempC * 9) / 5 + 32, 1),
          ]);
        else sgClinicRows.push([p.id, p.site, localWallClock(at, offset), hr, spo2, sys, dia]);
      }
    }
  }
  // Dirt: sensor glitches out of range, and rows uploaded twice.
  for (let i = 0; i < Math.max(1, Math.floor(deviceRows.length / 5000)); i++) {
    const row = deviceRows[int(0, deviceRows.length - 1)];
    if (row) {
      // A loose strap reads 900 bpm a minute after a real reading.
      const shifted = isoWithOffset(
        new Date(Date.parse(String(row[2])) + 60_000),
        row[3] === 'SG' ? 480 : usOffsetMinutes(start),
      );
      deviceRows.push([row[0] ?? '', row[1] ?? '', shifted, row[3] ?? '', 900, ...row.slice(5)]);
      planted.outOfRange += 1;
    }
  }
  for (let i = 0; i < Math.max(2, Math.floor(deviceRows.length / 2000)); i++) {
    const row = deviceRows[int(0, deviceRows.length - 1)];
    if (row) {
      deviceRows.push([...row]);
      planted.duplicates += 1;
    }
  }
  await write(
    'vitals',
    'vitals-device-upload.csv',
    csv(
      [
        'patient_id',
        'device_serial',
        'recorded_at',
        'site',
        'heart_rate_bpm',
        'spo2_pct',
        'systolic_mmhg',
        'diastolic_mmhg',
        'temperature_c',
        'respiratory_rate_bpm',
      ],
      deviceRows,
    ),
    deviceRows.length,
    'wearable uploads every 15-30 minutes, with a few out-of-range glitches and duplicated rows',
  );

  // The US clinic exports °F under verbose headers; one row was keyed without its UTC offset.
  const firstUs =
    usClinicRows[0] ??
    (() => {
      const p = patients.find((x) => x.site === 'US');
      return p
        ? [p.id, p.device, isoWithOffset(start, usOffsetMinutes(start)), 'US', 72, 97, 128, 78, 98.2]
        : undefined;
    })();
  if (firstUs) {
    usClinicRows.push([
      firstUs[0] ?? '',
      firstUs[1] ?? '',
      String(firstUs[2]).slice(0, 16).replace('T', ' '),
      'US',
      74,
      97,
      130,
      80,
      98.4,
    ]);
    planted.missingOffset += 1;
  }
  await write(
    'vitals',
    'clinic-us-export.csv',
    csv(
      [
        'Patient ID',
        'Device SN',
        'Timestamp',
        'Site',
        'Heart Rate (bpm)',
        'SpO2 (%)',
        'Systolic',
        'Diastolic',
        'Temperature (°F)',
      ],
      usClinicRows,
    ),
    usClinicRows.length,
    'messy headers, Fahrenheit, one timestamp without a UTC offset',
  );
  // The SG clinic's system exports semicolon-separated local times (Asia/Singapore, no offset).
  await write(
    'vitals',
    'clinic-sg-export.csv',
    csv(
      ['Patient ID', 'Site Code', 'Reading Time', 'HR', 'SpO2 (%)', 'BP Systolic', 'BP Diastolic'],
      sgClinicRows,
      ';',
    ),
    sgClinicRows.length,
    'semicolon-delimited, "HR" and "SpO2 (%)" headers, SG local time without offset',
  );

  const ecgRows: (string | number)[][] = [];
  const gaitRows: (string | number)[][] = [];
  const doseRows: (string | number)[][] = [];
  for (const p of patients) {
    const offset = p.site === 'SG' ? 480 : usOffsetMinutes(start);
    for (let d = 0; d < days; d++) {
      const day = start.getTime() + d * dayMs;
      for (let k = 0; k < 2; k++) {
        const at = new Date(day + int(0, 23 * 60) * 60_000);
        const hr = round(p.restingHr + between(-5, 8), 0);
        const rrMs = round(60_000 / hr, 0);
        const qt = round(between(360, 430), 0);
        const qtc = round(qt / Math.sqrt(rrMs / 1000), 0);
        ecgRows.push([
          p.id,
          p.device,
          isoWithOffset(at, offset),
          p.site,
          hr,
          round(between(130, 200), 0),
          round(between(80, 110), 0),
          qt,
          qtc,
          rrMs,
          random() < 0.06 ? 'atrial fibrillation' : 'sinus rhythm',
        ]);
      }
      const steps = int(1200, 7000);
      gaitRows.push([
        p.id,
        p.device,
        isoWithOffset(new Date(day + 20 * 3_600_000 - offset * 60_000), offset),
        p.site,
        steps,
        round(between(85, 115), 0),
        round(between(0.8, 1.25), 2),
        round(between(0.6, 1.25), 2),
        round(between(5, 12), 1),
        random() < 0.01 ? 'yes' : 'no',
      ]);
      for (const med of p.medications) {
        const at = new Date(day + (8 * 60 - offset + int(-20, 40)) * 60_000);
        doseRows.push([p.id, isoWithOffset(at, offset), med.name, med.dose, med.unit, med.maxMg, med.route, p.site]);
      }
    }
  }
  const badDose = doseRows[int(0, doseRows.length - 1)];
  if (badDose) {
    // A pharmacy system that writes "units" for a tablet count: not a unit the contract accepts.
    doseRows.push([
      badDose[0] ?? '',
      isoWithOffset(new Date(Date.parse(String(badDose[1])) + 3_600_000), 0),
      badDose[2] ?? '',
      1,
      'units',
      badDose[5] ?? '',
      'oral',
      badDose[7] ?? '',
    ]);
    planted.unknownUnit += 1;
  }
  await write(
    'ecg',
    'ecg-intervals.csv',
    csv(
      [
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
      ],
      ecgRows,
    ),
    ecgRows.length,
    'two ECG strips per patient per day',
  );
  await write(
    'gait',
    'gait-daily.csv',
    csv(
      [
        'patient_id',
        'device_serial',
        'recorded_at',
        'site',
        'step_count',
        'cadence_spm',
        'stride_length_m',
        'gait_speed_mps',
        'gait_angle_deg',
        'fall_detected',
      ],
      gaitRows,
    ),
    gaitRows.length,
    'one gait summary per patient per day',
  );
  await write(
    'dosage',
    'dosage-administrations.csv',
    csv(
      ['patient_id', 'administered_at', 'medication', 'dose_mg', 'dose_unit', 'prescribed_max_mg', 'route', 'site'],
      doseRows,
    ),
    doseRows.length,
    'mg and mcg doses mixed, one dose in an unknown unit',
  );

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
