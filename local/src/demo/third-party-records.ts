/**
 * The synthetic records the fake third-party sources serve (third-party.ts):
 * pharmacy administrations and FHIR R4 resources for the fleet's patients.
 */
import type { PharmacyAdministration } from './third-party';

const MEDICATIONS: readonly { name: string; dose: number; unit: string; max: number }[] = [
  { name: 'metformin', dose: 500, unit: 'mg', max: 1000 },
  { name: 'amlodipine', dose: 5, unit: 'mg', max: 10 },
  { name: 'levothyroxine', dose: 50, unit: 'mcg', max: 0.2 },
  { name: 'donepezil', dose: 10, unit: 'mg', max: 10 },
];
const METFORMIN = { name: 'metformin', dose: 500, unit: 'mg', max: 1000 };
const SNOMED_ORAL = { system: 'http://snomed.info/sct', code: '26643006', display: 'Oral route' };

/**
 * Synthetic pharmacy administrations for `patients` (fleet MRNs, e.g. SG-MRN-00001),
 * one every `everyMinutes` per patient from `start`, changed when given.
 */
export function pharmacyRecords(
  patients: readonly { mrn: string; site: string }[],
  start: Date,
  count: number,
  everyMinutes = 60,
): PharmacyAdministration[] {
  return Array.from({ length: count }, (_, i) => {
    const patient = patients[i % patients.length] ?? { mrn: 'SG-MRN-00001', site: 'SG' };
    const med = MEDICATIONS[i % MEDICATIONS.length] ?? METFORMIN;
    const at = new Date(
      start.getTime() + Math.floor(i / patients.length) * everyMinutes * 60_000 + (i % patients.length) * 1000,
    );
    return {
      id: `adm-${i + 1}`,
      patient,
      drug: { name: med.name },
      dose: { value: med.dose, unit: med.unit },
      max_dose_mg: med.max,
      route: 'PO',
      given_at: at.toISOString(),
      updated_at: new Date(at.getTime() + 5 * 60_000).toISOString(),
    };
  });
}

/**
 * Synthetic FHIR resources for `patients`: per patient and reading time an HR
 * and an SpO2 Observation (one instant, so they merge into one vitals row), a
 * body weight Observation (not a vital the lake keeps), and a
 * MedicationAdministration with the MedicationRequest it fulfils.
 */
export function fhirResources(
  patients: readonly string[],
  start: Date,
  readings: number,
  everyMinutes = 30,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const loinc = (code: string, display: string) => ({ coding: [{ system: 'http://loinc.org', code, display }] });
  patients.forEach((mrn, p) => {
    const subject = { reference: `Patient/${p + 1}`, identifier: { system: 'urn:demo:mrn', value: mrn } };
    const device = {
      reference: `Device/${p + 1}`,
      identifier: { value: `PLW-FHIR-${String(p + 1).padStart(8, '0')}` },
    };
    const med = MEDICATIONS[p % MEDICATIONS.length] ?? METFORMIN;
    out.push({
      resourceType: 'MedicationRequest',
      id: `rx-${p + 1}`,
      status: 'active',
      intent: 'order',
      subject,
      medicationCodeableConcept: { text: med.name },
      dosageInstruction: [
        { maxDosePerAdministration: { value: med.max, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } },
      ],
    });
    for (let r = 0; r < readings; r++) {
      const at = new Date(start.getTime() + r * everyMinutes * 60_000 + p * 1000);
      const meta = { lastUpdated: new Date(at.getTime() + 60_000 + p).toISOString() };
      const common = {
        resourceType: 'Observation',
        status: 'final',
        category: [
          { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
        ],
        subject,
        device,
        effectiveDateTime: at.toISOString(),
        meta,
      };
      out.push({
        ...common,
        id: `hr-${p + 1}-${r + 1}`,
        code: loinc('8867-4', 'Heart rate'),
        valueQuantity: {
          value: 62 + ((p * 7 + r * 3) % 30),
          unit: 'beats/minute',
          system: 'http://unitsofmeasure.org',
          code: '/min',
        },
      });
      out.push({
        ...common,
        id: `spo2-${p + 1}-${r + 1}`,
        code: loinc('59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry'),
        valueQuantity: { value: 94 + ((p + r) % 5), unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
      });
      if (r === 0)
        out.push({
          ...common,
          id: `wt-${p + 1}`,
          code: loinc('29463-7', 'Body weight'),
          valueQuantity: { value: 61.5, unit: 'kg', code: 'kg' },
        });
      if (r % 4 === 0) {
        out.push({
          resourceType: 'MedicationAdministration',
          id: `ma-${p + 1}-${r + 1}`,
          status: 'completed',
          subject,
          medicationCodeableConcept: { text: med.name },
          effectiveDateTime: at.toISOString(),
          request: { reference: `MedicationRequest/rx-${p + 1}` },
          dosage: {
            route: { coding: [SNOMED_ORAL] },
            dose: { value: med.dose, unit: med.unit, system: 'http://unitsofmeasure.org', code: med.unit },
          },
          meta,
        });
      }
    }
  });
  return out;
}
