/** Parameters several named queries take, spelled once. */
import type { ParameterSpec } from './parameters';

export const FROM_DATE: ParameterSpec = {
  name: 'from',
  type: 'date',
  required: true,
  description: 'first day (UTC) to include, YYYY-MM-DD',
};
export const TO_DATE: ParameterSpec = {
  name: 'to',
  type: 'date',
  required: true,
  description: 'last day (UTC) to include, YYYY-MM-DD',
};
export const PATIENT_TOKEN: ParameterSpec = {
  name: 'patient_token',
  type: 'string',
  description: 'only this patient (their patient token)',
  pattern: '[0-9a-f]{64}',
  patternHint: 'a patient token (64 lowercase hex characters)',
};
