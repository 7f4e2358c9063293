import { patientIdColumn, siteColumn } from './common-columns';
import type { DatasetContract } from './contract';

/**
 * Patient enrolment: who the patient is (kept out of curated), when and by which
 * partner clinic they were enrolled. Curated keeps a token, birth year and a
 * postal prefix only; `partner_id` is what partner scoping of queries joins on.
 */
export const patients: DatasetContract = {
  name: 'patients',
  version: 1,
  stage: 'curated',
  description: 'Enrolled patients, de-identified: patient token, birth year, postal prefix, sex, enrolling partner.',
  siteColumn: 'site',
  // A reference table: partitioned by the day it was ingested, the latest ingest of a patient wins.
  localTimeZones: { SG: 'Asia/Singapore' },
  dedupeKey: ['patient_id'],
  // A registry, not readings: a fifth of it rejected means the export is read wrongly.
  maxRejectedShare: 0.2,
  partitionKeys: ['site', 'dt'],
  columns: [
    patientIdColumn({ required: true }),
    {
      name: 'first_name',
      type: 'string',
      description: 'Given name (dropped)',
      aliases: ['first name', 'given name', 'forename', 'firstname'],
      pii: 'direct',
      treatment: { kind: 'drop' },
    },
    {
      name: 'last_name',
      type: 'string',
      description: 'Family name (dropped)',
      aliases: ['last name', 'surname', 'family name', 'lastname'],
      pii: 'direct',
      treatment: { kind: 'drop' },
    },
    {
      name: 'full_name',
      type: 'string',
      description: 'Full name (dropped)',
      aliases: ['name', 'patient name', 'full name', 'fullname'],
      pii: 'direct',
      treatment: { kind: 'drop' },
    },
    {
      name: 'email',
      type: 'string',
      description: 'Email address (dropped)',
      aliases: ['e-mail', 'email address', 'mail'],
      pii: 'direct',
      treatment: { kind: 'drop' },
    },
    {
      name: 'phone',
      type: 'string',
      description: 'Phone number (dropped)',
      aliases: ['phone number', 'telephone', 'tel', 'mobile', 'mobile number', 'contact number'],
      pii: 'direct',
      treatment: { kind: 'drop' },
    },
    {
      name: 'street_address',
      type: 'string',
      description: 'Street address (dropped)',
      aliases: ['address', 'street', 'address line 1', 'home address'],
      pii: 'direct',
      treatment: { kind: 'drop' },
    },
    {
      name: 'postal_code',
      type: 'string',
      description: 'First 3 characters of the postal code (ZIP3 in the US; sparsely populated ZIP3s become 000)',
      aliases: ['postcode', 'zip', 'zip code', 'zipcode', 'postal'],
      pii: 'quasi',
      treatment: { kind: 'truncate_postal', as: 'postal_prefix', keep: 3 },
    },
    {
      name: 'birth_date',
      type: 'date',
      description: 'Year of birth; patients aged 90 or more are reported as born 90 years before ingest',
      aliases: ['dob', 'date of birth', 'birthdate', 'birthday'],
      pii: 'quasi',
      treatment: { kind: 'birth_year', as: 'birth_year', topCodeAge: 90 },
    },
    {
      name: 'sex',
      type: 'string',
      description: 'Administrative sex: F, M, X (other) or U (unknown)',
      allowed: ['F', 'M', 'X', 'U'],
      valueAliases: { female: 'F', male: 'M', other: 'X', unknown: 'U', w: 'F' },
      aliases: ['gender', 'sex at birth'],
      pii: 'none',
      treatment: { kind: 'keep' },
    },
    siteColumn,
    {
      name: 'partner_id',
      type: 'string',
      description: 'Healthcare partner (clinic) that enrolled the patient; queries are scoped by it',
      required: true,
      pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$',
      aliases: ['partner', 'clinic', 'clinic id', 'provider', 'provider id', 'partner code'],
      pii: 'none',
      treatment: { kind: 'keep' },
    },
    {
      name: 'enrolled_at',
      type: 'timestamp',
      description: 'When the patient was enrolled (UTC)',
      aliases: ['enrolled', 'enrollment date', 'enrolment date', 'enrolled on', 'enrollment'],
      pii: 'none',
      treatment: { kind: 'keep' },
    },
  ],
};
