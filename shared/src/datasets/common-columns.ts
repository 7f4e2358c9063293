/**
 * Columns several datasets share. Declaring them once keeps the identifier
 * treatment identical everywhere: a patient id tokenizes to the same
 * `patient_token` in patients, vitals and dosage, so curated tables join.
 */
import type { ColumnSpec } from './contract';

/** The patient identifier (MRN or enrolment id): tokenized, never stored. */
export function patientIdColumn(options: { required: boolean }): ColumnSpec {
  return {
    name: 'patient_id',
    type: 'string',
    description: 'Patient token (keyed HMAC-SHA256 of the patient identifier)',
    required: options.required,
    aliases: ['patient', 'patient id', 'patientid', 'pid', 'mrn', 'subject id', 'patient number', 'patient no'],
    pii: 'identifier',
    treatment: { kind: 'tokenize', as: 'patient_token' },
  };
}

/** The device serial number: an identifier under HIPAA Safe Harbor, so tokenized too. */
export function deviceSerialColumn(options: { required: boolean }): ColumnSpec {
  return {
    name: 'device_serial',
    type: 'string',
    description: 'Device token (keyed HMAC-SHA256 of the device serial number)',
    required: options.required,
    aliases: ['device', 'device id', 'serial', 'serial number', 'serial no', 'device sn', 'device serial number', 'sn'],
    pii: 'identifier',
    treatment: { kind: 'tokenize', as: 'device_token' },
  };
}

/** The site (data residency); its value becomes the `site` partition. */
export const siteColumn: ColumnSpec = {
  name: 'site',
  type: 'string',
  description: 'Site the patient is cared for at (data residency)',
  required: true,
  allowed: ['SG', 'US'],
  valueAliases: { singapore: 'SG', sgp: 'SG', usa: 'US', 'united states': 'US' },
  aliases: ['site code', 'country', 'region', 'site id'],
  pii: 'none',
  treatment: { kind: 'keep' },
};
