/**
 * The fleet's patients at the SG and US sites, with fake but realistic names,
 * emails, phones, birth dates and street addresses (so the privacy treatment
 * has something to remove), each with one wearable and a few medications.
 */
import type { CsvFileSpec } from './csv';
import { isoWithOffset, pad } from './csv';
import type { Draws } from './random';

export interface Medication {
  name: string;
  dose: number;
  unit: 'mg' | 'mcg';
  maxMg: number;
  route: string;
}

export interface Patient {
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
  medications: Medication[];
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

/** `count` patients, alternating SG and US (even indexes SG), enrolled before `start`. */
export function createPatients(count: number, start: Date, { random, between, int, pick }: Draws): Patient[] {
  const patients: Patient[] = [];
  for (let i = 0; i < count; i++) {
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
  return patients;
}

/** patients.csv (the identifiers to remove) and devices.csv (one wearable per patient). */
export function patientFiles(patients: Patient[], { pick }: Draws): CsvFileSpec[] {
  return [
    {
      dataset: 'patients',
      name: 'patients.csv',
      header: [
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
      rows: patients.map((p) => [
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
      note: 'names, emails, phones, birth dates and street addresses (dropped or generalized on the way to curated)',
    },
    {
      dataset: 'devices',
      name: 'devices.csv',
      header: ['device_serial', 'patient_id', 'model', 'firmware_version', 'assigned_at', 'site'],
      rows: patients.map((p) => [
        p.device,
        p.id,
        p.site === 'SG' ? 'PulseBand 2A' : 'PulseBand 2B',
        pick(['2.3.1', '2.4.0', '2.4.2']),
        p.enrolledAt,
        p.site,
      ]),
      note: 'one wearable per patient',
    },
  ];
}
