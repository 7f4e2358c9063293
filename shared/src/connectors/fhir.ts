/**
 * HL7 FHIR R4 resources into the lake's contracts. Observations coded with
 * LOINC vital-sign codes become vitals rows; MedicationAdministrations become
 * dosage rows, with the prescribed maximum taken from the MedicationRequest
 * the search `_include`d. Readings of one patient (and device) at one instant
 * are merged into one row, since that is the vitals dedupe key: an HR and an
 * SpO2 Observation of the same moment must not replace each other. A pair that
 * a page boundary splits is merged too: the later page's row takes the earlier
 * page's values (`completeWithPreviousPage`), so the version the curated views
 * keep, the later one, is whole. Pages further apart, or a split at a run's
 * checkpoint, still land as two partial rows.
 */
import type { Site } from '../datasets/contract';
import { canonicalUnit, conversion } from '../datasets/units';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export const LOINC_SYSTEM = 'http://loinc.org';

/** LOINC vital-sign codes and the vitals column each fills. */
export const LOINC_VITALS: Readonly<Record<string, string>> = {
  '8867-4': 'heart_rate_bpm',
  '59408-5': 'spo2_pct',
  '2708-6': 'spo2_pct',
  '8480-6': 'systolic_mmhg',
  '8462-4': 'diastolic_mmhg',
  '8310-5': 'temperature_c',
  '9279-1': 'respiratory_rate_bpm',
};
/** The blood pressure panel: its components carry systolic and diastolic. */
const BLOOD_PRESSURE_PANEL = '85354-9';

/** UCUM codes of the temperatures FHIR servers send, as the units our contracts read. */
const UCUM_TEMPERATURE: Readonly<Record<string, string>> = { Cel: 'C', '[degF]': 'F' };

/** SNOMED CT route codes (FHIR's route value set) as the dosage contract's routes. */
const SNOMED_ROUTES: Readonly<Record<string, string>> = {
  '26643006': 'oral',
  '37839007': 'sublingual',
  '47625008': 'intravenous',
  '78421000': 'intramuscular',
  '34206005': 'subcutaneous',
  '45890007': 'transdermal',
  '447694001': 'inhaled',
  '6064005': 'topical',
  '37161004': 'rectal',
};

/** Statuses whose values are not (or no longer) true readings. */
const VOID_STATUSES = new Set(['entered-in-error', 'cancelled', 'not-done', 'unknown']);

/** The codes the Observation search asks for: the vital signs above and the BP panel. */
export function observationCodeFilter(): string {
  return [...Object.keys(LOINC_VITALS), BLOOD_PRESSURE_PANEL].map((code) => `${LOINC_SYSTEM}|${code}`).join(',');
}

export interface BundleEntries {
  /** Entries the search matched (`search.mode` match or absent). */
  matches: Json[];
  /** Entries it included (`_include`), keyed `<resourceType>/<id>`. */
  included: Map<string, Json>;
  /** The Bundle's `link[rel=next]`, when there is a next page. */
  next?: string;
}

/** Reads a searchset Bundle; throws when the body is not one. */
export function readSearchBundle(body: unknown): BundleEntries {
  if (!isObject(body) || body.resourceType !== 'Bundle') throw new TypeError('the response is not a FHIR Bundle');
  const matches: Json[] = [];
  const included = new Map<string, Json>();
  for (const entry of list(body.entry)) {
    if (!isObject(entry) || !isObject(entry.resource)) continue;
    const mode = isObject(entry.search) ? entry.search.mode : undefined;
    const resource = entry.resource;
    if (mode === 'include') {
      const id = text(resource.id);
      if (id !== undefined) included.set(`${String(resource.resourceType)}/${id}`, resource);
    } else if (mode === undefined || mode === 'match') matches.push(resource);
  }
  const next = list(body.link).find((l) => isObject(l) && l.relation === 'next');
  const nextUrl = isObject(next) ? text(next.url) : undefined;
  return { matches, included, ...(nextUrl !== undefined ? { next: nextUrl } : {}) };
}

/** The latest `meta.lastUpdated` among `resources`, as ISO 8601 UTC. */
export function latestUpdate(resources: readonly Json[]): string | undefined {
  let latest: number | undefined;
  for (const r of resources) {
    const at = isObject(r.meta) ? Date.parse(String(r.meta.lastUpdated)) : NaN;
    if (!Number.isNaN(at) && (latest === undefined || at > latest)) latest = at;
  }
  return latest === undefined ? undefined : new Date(latest).toISOString();
}

/** An identifier from a Reference: its business identifier when given, else the id in `Type/id`. */
function referencedId(reference: unknown): string | undefined {
  if (!isObject(reference)) return undefined;
  const identifier = isObject(reference.identifier) ? text(reference.identifier.value) : undefined;
  if (identifier !== undefined) return identifier;
  const ref = text(reference.reference);
  return ref?.split('/').pop();
}

function effectiveTime(resource: Json): string | undefined {
  return (
    text(resource.effectiveDateTime) ??
    text(resource.effectiveInstant) ??
    (isObject(resource.effectivePeriod) ? text(resource.effectivePeriod.start) : undefined)
  );
}

function loincCodes(concept: unknown): string[] {
  if (!isObject(concept)) return [];
  return list(concept.coding).flatMap((c) =>
    isObject(c) && c.system === LOINC_SYSTEM && typeof c.code === 'string' ? [c.code] : [],
  );
}

function codeableText(concept: unknown): string | undefined {
  if (!isObject(concept)) return undefined;
  const coding = list(concept.coding).find((c) => isObject(c) && text(c.display) !== undefined);
  return text(concept.text) ?? (isObject(coding) ? text(coding.display) : undefined);
}

export interface MappedRows {
  rows: Record<string, string | number>[];
  /** Resources read but not mapped: other codes, voided statuses, missing subject or time. */
  skipped: number;
}

/** One vitals row per patient, device and instant: the contract's dedupe key. */
function vitalsKey(patient: unknown, device: unknown, at: unknown): string {
  return JSON.stringify([patient, device ?? null, Date.parse(String(at))]);
}

/**
 * Returns a function that completes each page's vitals rows with the values
 * the previous page held for the same patient, device and instant (the later
 * page's own values win), and remembers this page for the next one.
 */
export function completeWithPreviousPage(): (rows: readonly Record<string, unknown>[]) => Record<string, unknown>[] {
  let previous = new Map<string, Record<string, unknown>>();
  return (rows) => {
    const keyOf = (row: Record<string, unknown>) => vitalsKey(row.patient_id, row.device_serial, row.recorded_at);
    const completed = rows.map((row) => ({ ...previous.get(keyOf(row)), ...row }));
    previous = new Map(completed.map((row) => [keyOf(row), row]));
    return completed;
  };
}

/** Vitals rows from Observations, one per patient, device and instant. */
export function observationsToVitals(observations: readonly Json[], site: Site): MappedRows {
  const rows = new Map<string, Record<string, string | number>>();
  let skipped = 0;
  for (const obs of observations) {
    const patient = referencedId(obs.subject);
    const at = effectiveTime(obs);
    const readings: [string, Json][] = [];
    for (const code of loincCodes(obs.code)) {
      const column = LOINC_VITALS[code];
      if (column !== undefined && isObject(obs.valueQuantity)) readings.push([column, obs.valueQuantity]);
      if (code === BLOOD_PRESSURE_PANEL) {
        for (const component of list(obs.component)) {
          if (!isObject(component) || !isObject(component.valueQuantity)) continue;
          for (const componentCode of loincCodes(component.code)) {
            const componentColumn = LOINC_VITALS[componentCode];
            if (componentColumn !== undefined) readings.push([componentColumn, component.valueQuantity]);
          }
        }
      }
    }
    if (
      obs.resourceType !== 'Observation' ||
      VOID_STATUSES.has(String(obs.status)) ||
      patient === undefined ||
      at === undefined ||
      readings.length === 0
    ) {
      skipped += 1;
      continue;
    }
    const device = referencedId(obs.device);
    const key = vitalsKey(patient, device, at);
    const row = rows.get(key) ?? {
      patient_id: patient,
      ...(device !== undefined ? { device_serial: device } : {}),
      recorded_at: at,
      site,
    };
    for (const [column, quantity] of readings) {
      const value = num(quantity.value);
      if (value === undefined) continue;
      row[column] = value;
      if (column === 'temperature_c') {
        const unit = UCUM_TEMPERATURE[String(quantity.code)] ?? text(quantity.unit);
        if (unit !== undefined) row.temperature_unit = unit;
      }
    }
    rows.set(key, row);
  }
  return { rows: [...rows.values()], skipped };
}

/** A FHIR Quantity in mg, converted by the same unit table the normalizer uses; undefined when it cannot be. */
function milligrams(quantity: unknown): number | undefined {
  if (!isObject(quantity)) return undefined;
  const value = num(quantity.value);
  const unit = canonicalUnit(String(quantity.code ?? quantity.unit ?? 'mg').toLowerCase());
  if (value === undefined || unit === undefined) return undefined;
  if (unit === 'mg') return value;
  return conversion(unit, 'mg')?.(value);
}

/** Dosage rows from MedicationAdministrations, with the prescribed maximum from their included MedicationRequest. */
export function administrationsToDosage(
  administrations: readonly Json[],
  included: ReadonlyMap<string, Json>,
  site: Site,
): MappedRows {
  const rows: Record<string, string | number>[] = [];
  let skipped = 0;
  for (const admin of administrations) {
    const patient = referencedId(admin.subject);
    const at = effectiveTime(admin);
    const requestRef = isObject(admin.request) ? text(admin.request.reference) : undefined;
    const request = requestRef !== undefined ? included.get(requestRef) : undefined;
    const medication =
      codeableText(admin.medicationCodeableConcept) ??
      (isObject(admin.medicationReference) ? text(admin.medicationReference.display) : undefined) ??
      codeableText(request?.medicationCodeableConcept);
    const dosage = isObject(admin.dosage) ? admin.dosage : {};
    const dose = isObject(dosage.dose) ? dosage.dose : undefined;
    const doseValue = num(dose?.value);
    if (
      admin.resourceType !== 'MedicationAdministration' ||
      VOID_STATUSES.has(String(admin.status)) ||
      patient === undefined ||
      at === undefined ||
      medication === undefined ||
      doseValue === undefined
    ) {
      skipped += 1;
      continue;
    }
    const doseUnit = text(dose?.unit) ?? text(dose?.code);
    const snomedRoute = list(isObject(dosage.route) ? dosage.route.coding : undefined).flatMap((c) =>
      isObject(c) && typeof c.code === 'string' && SNOMED_ROUTES[c.code] !== undefined ? [SNOMED_ROUTES[c.code]] : [],
    )[0];
    const route = snomedRoute ?? codeableText(dosage.route);
    const instruction = list(request?.dosageInstruction).find(isObject);
    const prescribedMax = milligrams(instruction?.maxDosePerAdministration);
    rows.push({
      patient_id: patient,
      administered_at: at,
      medication,
      dose_mg: doseValue,
      ...(doseUnit !== undefined ? { dose_unit: doseUnit } : {}),
      ...(prescribedMax !== undefined ? { prescribed_max_mg: prescribedMax } : {}),
      ...(route !== undefined ? { route } : {}),
      site,
    });
  }
  return { rows, skipped };
}
