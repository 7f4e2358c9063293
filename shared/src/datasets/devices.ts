import { deviceSerialColumn, patientIdColumn, siteColumn } from './common-columns';
import type { DatasetContract } from './contract';

/** Wearable assignments: which device a patient wears, with model and firmware. */
export const devices: DatasetContract = {
  name: 'devices',
  version: 1,
  stage: 'curated',
  description: 'Device assignments: device token, patient token, model, firmware, when assigned.',
  siteColumn: 'site',
  localTimeZones: { SG: 'Asia/Singapore' },
  // One row per assignment; a device handed to another patient is a new row.
  dedupeKey: ['device_serial', 'patient_id'],
  // A registry, not readings: a fifth of it rejected means the export is read wrongly.
  maxRejectedShare: 0.2,
  partitionKeys: ['site', 'dt'],
  columns: [
    deviceSerialColumn({ required: true }),
    patientIdColumn({ required: true }),
    {
      name: 'model',
      type: 'string',
      description: 'Device model',
      required: true,
      aliases: ['device model', 'model name', 'product'],
      pii: 'none',
      treatment: { kind: 'keep' },
    },
    {
      name: 'firmware_version',
      type: 'string',
      description: 'Firmware version (dotted numbers)',
      pattern: '^v?\\d+(\\.\\d+){0,3}$',
      aliases: ['firmware', 'fw', 'fw version', 'firmware ver'],
      pii: 'none',
      treatment: { kind: 'keep' },
    },
    {
      name: 'assigned_at',
      type: 'timestamp',
      description: 'When the device was assigned to the patient (UTC)',
      aliases: ['assigned', 'assigned on', 'assignment date', 'issued at'],
      pii: 'none',
      treatment: { kind: 'keep' },
    },
    siteColumn,
  ],
};
