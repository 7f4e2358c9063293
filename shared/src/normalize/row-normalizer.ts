/**
 * The contract-driven row pipeline: map headers, parse typed values, convert
 * units, resolve timestamps to UTC, validate, and protect PII, producing the
 * curated values of one row (or why it was rejected).
 *
 * Everything that depends only on the header is decided once in
 * `createRowNormalizer` (a plan of compiled per-column steps); `normalize`
 * runs once per row and allocates little beyond the values array.
 */
import {
  curatedColumns,
  QUALITY_FLAGS_COLUMN,
  type ColumnSpec,
  type CuratedValue,
  type DatasetContract,
  type RuleValue,
  type Site,
} from '../datasets/contract';
import { birthYear, truncatePostal } from '../privacy/generalize';
import type { Tokenizer } from '../privacy/tokenize';
import { KeyFingerprint } from './fingerprint-set';
import { acceptedHeaders, type HeaderMapping, resolveHeader } from '../datasets/header-aliases';
import { ZoneOffsets } from '../datasets/time-zones';
import { canonicalUnit, type Conversion, conversion } from '../datasets/units';
import { parseDateParts, parseTimestamp, type TimestampParse } from './timestamps';
import { BOOLEANS, excerpt, Lookup, parseNumber } from './values';

export interface RowNormalizerOptions {
  tokenizer: Tokenizer;
  /** SHA-256 of the raw object, written to `_source_hash`. */
  sourceHash: string;
  /** When the raw object was landed: `_ingested_at`, and `dt` for contracts without an event time. */
  ingestedAt: Date;
  /** The source writes `36,6` for 36.6 (and may group thousands with dots). */
  decimalComma?: boolean;
  /** The date ages are computed at for top-coding; defaults to `ingestedAt`. */
  now?: Date;
}

/** Why one value of a row was not accepted. `reason` never holds an identifier or other PII. */
export interface RowRejection {
  line: number;
  column?: string;
  /** `required`, `type`, `range`, `allowed`, `pattern`, `unit`, `time_zone`, or a row rule's id. */
  rule: string;
  reason: string;
}

export type RowResult =
  | {
      ok: true;
      site: Site;
      /** UTC date (YYYY-MM-DD) of the event time, or of `ingestedAt` when the contract has none. */
      dt: string;
      /** In `curatedColumns(contract)` order, lineage included. */
      values: CuratedValue[];
      /** Fingerprint of the curated values of the contract's dedupe key: equal fingerprints are the same record. */
      dedupeFingerprint: number;
    }
  | {
      ok: false;
      rejections: RowRejection[];
      /**
       * The row as it may be written to rejects, by curated column name (and the site
       * column): identifiers tokenized, direct identifiers absent, quasi-identifiers
       * generalized or null; non-personal values as written when they failed.
       */
      protectedValues: Record<string, CuratedValue>;
    };

export interface RowNormalizer {
  header: HeaderMapping;
  /** Normalizes one record (fields in header order); `line` is its record number, written to `_source_line`. */
  normalize(record: readonly string[], line: number): RowResult;
}

/** The header cannot be processed for the dataset: the whole file is quarantined. */
export class HeaderError extends Error {
  override name = 'HeaderError';
  constructor(
    readonly dataset: string,
    readonly missingRequired: readonly string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const INVALID = Symbol('invalid');
type Step = (text: string) => CuratedValue | typeof INVALID;

interface ColumnPlan {
  spec: ColumnSpec;
  /** Index of `spec` in the contract's columns (the failure marks are kept per column). */
  index: number;
  field: number;
  /** Index in the values array; -1 for the site column (it lives in the path). */
  slot: number;
  step: Step;
}

/** Mutable per-row state shared by the compiled steps; normalize() is synchronous, so one suffices. */
interface RowState {
  record: readonly string[];
  line: number;
  serial: number;
  site: Site | undefined;
  rejections: RowRejection[] | undefined;
  /** The column currently being processed, so steps can report against it. */
  current: ColumnPlan | undefined;
}

const DAY_MS = 86_400_000;

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 1000) / 1000);
}

/** A converted value without binary noise (37.00000000000001 -> 37). */
function tidy(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/**
 * Prepares the row pipeline of `contract` for a source with `header`.
 * Throws `HeaderError` when required columns are missing or two headers feed the same column.
 */
export function createRowNormalizer(
  contract: DatasetContract,
  header: readonly string[],
  options: RowNormalizerOptions,
): RowNormalizer {
  const decimalComma = options.decimalComma === true;
  const asOf = options.now ?? options.ingestedAt;
  const curated = curatedColumns(contract);
  const width = curated.length;
  const slotOf = new Map<string, number>();
  curated.forEach((column, index) => {
    if (column.source !== undefined) slotOf.set(column.source, index);
  });
  const hashSlot = curated.findIndex((c) => c.name === '_source_hash');
  const lineSlot = curated.findIndex((c) => c.name === '_source_line');
  const ingestedSlot = curated.findIndex((c) => c.name === '_ingested_at');

  // Map headers to columns.
  const mapped: HeaderMapping['mapped'] = [];
  const unknown: number[] = [];
  const fieldOf = new Map<ColumnSpec, { field: number; header: string; unit: string | undefined }>();
  const unitFieldOf = new Map<ColumnSpec, number>();
  const duplicates: string[] = [];
  header.forEach((text, field) => {
    const target = resolveHeader(contract, text);
    if (target === undefined) {
      unknown.push(field + 1);
      return;
    }
    if (target.kind === 'unit') {
      if (unitFieldOf.has(target.column)) duplicates.push(`${target.column.unitColumn ?? target.column.name}`);
      else unitFieldOf.set(target.column, field);
      mapped.push({ header: text, column: target.column.unitColumn ?? target.column.name });
      return;
    }
    const previous = fieldOf.get(target.column);
    if (previous !== undefined) {
      duplicates.push(`'${previous.header}' and '${text}' both map to ${target.column.name}`);
      return;
    }
    fieldOf.set(target.column, { field, header: text, unit: target.unit });
    mapped.push({ header: text, column: target.column.name });
  });
  const missingRequired = contract.columns.filter((c) => c.required === true && !fieldOf.has(c)).map((c) => c.name);
  if (missingRequired.length > 0) {
    const detail = missingRequired
      .map((name) => {
        const column = contract.columns.find((c) => c.name === name);
        return `${name} (accepted headers: ${column ? acceptedHeaders(column).join(', ') : name})`;
      })
      .join('; ');
    // Only recognised headers are echoed: in a file without a header row the "headers" are patient data.
    const recognised = mapped.length > 0 ? mapped.map((m) => m.header).join(', ') : 'none';
    throw new HeaderError(
      contract.name,
      missingRequired,
      `${contract.name}: the header lacks required column${missingRequired.length > 1 ? 's' : ''} ${detail}. ` +
        `Recognised headers: ${recognised}; ${unknown.length} other header${unknown.length === 1 ? '' : 's'} not recognised. ` +
        'Rename the headers or add aliases to the contract.',
    );
  }
  if (duplicates.length > 0) {
    throw new HeaderError(
      contract.name,
      [],
      `${contract.name}: ${duplicates.join('; ')}; keep one of each so the values are not ambiguous`,
    );
  }

  const state: RowState = {
    record: [],
    line: 0,
    serial: 0,
    site: undefined,
    rejections: undefined,
    current: undefined,
  };
  const failedAt = new Float64Array(contract.columns.length);
  const reject = (rule: string, reason: string): typeof INVALID => {
    const plan = state.current;
    if (plan !== undefined) failedAt[plan.index] = state.serial;
    (state.rejections ??= []).push({ line: state.line, ...(plan ? { column: plan.spec.name } : {}), rule, reason });
    return INVALID;
  };
  /** Marks the column failed without a message of its own (its cause was already reported). */
  const fail = (): typeof INVALID => {
    const plan = state.current;
    if (plan !== undefined) failedAt[plan.index] = state.serial;
    return INVALID;
  };

  const zones = new Map<string, ZoneOffsets>();
  for (const [site, zone] of Object.entries(contract.localTimeZones ?? {}))
    if (zone !== undefined) zones.set(site, new ZoneOffsets(zone));

  const compile = (spec: ColumnSpec, headerUnit: string | undefined, unitField: number): Step => {
    const name = spec.name;
    const personal = spec.pii !== 'none';
    const shown = (text: string) => (personal ? name : `${name} '${excerpt(text)}'`);
    const required = spec.required === true;
    const empty = (): CuratedValue | typeof INVALID =>
      required ? reject('required', `${name} is required but empty`) : null;
    const treatment = spec.treatment;

    switch (spec.type) {
      case 'integer':
      case 'double': {
        const integer = spec.type === 'integer';
        const unit = spec.unit;
        const fixed = unit !== undefined && headerUnit !== undefined ? conversion(headerUnit, unit) : undefined;
        const fromUnit = unit !== undefined ? (headerUnit ?? unit) : undefined;
        const accepted = unit !== undefined ? [unit, ...(spec.acceptedUnits ?? [])] : [];
        const rowUnits = new Map<string, { unit: string; convert: Conversion } | null>();
        const unitColumn = spec.unitColumn ?? 'unit';
        const range = spec.range;
        return (text) => {
          if (text === '') return empty();
          let value = parseNumber(text, decimalComma);
          if (Number.isNaN(value) || !Number.isFinite(value)) return reject('type', `${shown(text)} is not a number`);
          let convert = fixed;
          let sourceUnit = fromUnit;
          if (unitField >= 0 && unit !== undefined) {
            const written = (state.record[unitField] ?? '').trim();
            if (written !== '') {
              let resolved = rowUnits.get(written);
              if (resolved === undefined) {
                const canonical = canonicalUnit(written);
                const fn =
                  canonical !== undefined && accepted.includes(canonical) ? conversion(canonical, unit) : undefined;
                resolved = canonical !== undefined && fn !== undefined ? { unit: canonical, convert: fn } : null;
                if (rowUnits.size < 1000) rowUnits.set(written, resolved);
              }
              if (resolved === null)
                return reject(
                  'unit',
                  `${unitColumn} '${excerpt(written)}' is not a unit accepted for ${name} (accepted: ${accepted.join(', ')})`,
                );
              convert = resolved.convert;
              sourceUnit = resolved.unit;
            }
          }
          const written = value;
          if (convert !== undefined && sourceUnit !== unit) value = tidy(convert(value));
          if (integer && !Number.isInteger(value)) {
            if (sourceUnit === unit) return reject('type', `${shown(text)} is not a whole number`);
            value = Math.round(value);
          }
          if (range !== undefined && (value < range.min || value > range.max)) {
            const unitText = unit !== undefined ? ` ${unit}` : '';
            const what = personal
              ? name
              : sourceUnit !== unit
                ? `${name} ${formatNumber(written)} ${sourceUnit ?? ''} (${formatNumber(value)}${unitText})`
                : `${name} ${formatNumber(value)}`;
            return reject('range', `${what} is outside ${range.min}..${range.max}${unitText}`);
          }
          return value;
        };
      }
      case 'boolean':
        return (text) => {
          if (text === '') return empty();
          const value = BOOLEANS.get(text);
          return value === undefined
            ? reject('type', `${shown(text)} is not a yes/no value (accepted: yes, no, true, false, y, n, 1, 0)`)
            : value;
        };
      case 'date': {
        const protect =
          treatment.kind === 'birth_year'
            ? (day: number): CuratedValue | typeof INVALID =>
                birthYear(new Date(day), asOf, treatment.topCodeAge) ??
                reject('range', `${name} is after the ingest date`)
            : (day: number): CuratedValue => new Date(day).toISOString().slice(0, 10);
        const scratch: TimestampParse = { kind: 'invalid', ms: 0 };
        return (text) => {
          if (text === '') return empty();
          let day = text.length === 10 ? parseDateParts(text) : NaN;
          if (Number.isNaN(day) && text.length > 10) {
            // Spreadsheet exports write dates as midnight timestamps; the calendar date as written is the date.
            parseTimestamp(text, scratch);
            if (scratch.kind === 'local') day = Math.floor(scratch.ms / DAY_MS) * DAY_MS;
          }
          if (Number.isNaN(day)) return reject('type', `${shown(text)} is not a date (expected YYYY-MM-DD)`);
          return protect(day);
        };
      }
      case 'timestamp': {
        const scratch: TimestampParse = { kind: 'invalid', ms: 0 };
        return (text) => {
          if (text === '') return empty();
          parseTimestamp(text, scratch);
          if (scratch.kind === 'utc') return new Date(scratch.ms);
          if (scratch.kind === 'invalid')
            return reject(
              'type',
              `${shown(text)} is not a timestamp (expected ISO 8601, e.g. 2026-01-02T08:00:00+08:00)`,
            );
          const site = state.site;
          if (site === undefined) return fail();
          const zone = zones.get(site);
          if (zone === undefined)
            return reject(
              'time_zone',
              `${shown(text)} has no UTC offset and no time zone is configured for site ${site}`,
            );
          return new Date(zone.localToUtc(scratch.ms));
        };
      }
      case 'string': {
        const allowed = spec.allowed;
        const lookup =
          allowed !== undefined
            ? new Lookup<string>([...allowed.map((v) => [v, v] as const), ...Object.entries(spec.valueAliases ?? {})])
            : undefined;
        const pattern = spec.pattern !== undefined ? new RegExp(spec.pattern) : undefined;
        const tokenizer = options.tokenizer;
        const protect: (text: string) => CuratedValue =
          treatment.kind === 'tokenize'
            ? tokenizer.forNamespace(treatment.as)
            : treatment.kind === 'truncate_postal'
              ? (text) => truncatePostal(text, treatment.keep, state.site) ?? null
              : (text) => text;
        return (text) => {
          if (text === '') return empty();
          let value = text;
          if (lookup !== undefined) {
            const canonical = lookup.get(text);
            if (canonical === undefined)
              return reject('allowed', `${shown(text)} is not one of ${(allowed ?? []).join(', ')}`);
            value = canonical;
          }
          if (pattern !== undefined && !pattern.test(value))
            return reject('pattern', `${shown(text)} does not match the expected format ${spec.pattern ?? ''}`);
          return protect(value);
        };
      }
    }
  };

  // The site goes first: local timestamps and ZIP3 suppression depend on it.
  const plans: ColumnPlan[] = [];
  let sitePlan: ColumnPlan | undefined;
  for (const [index, spec] of contract.columns.entries()) {
    const found = fieldOf.get(spec);
    // Dropped columns are never read: their values cannot leak through any message.
    if (found === undefined || spec.treatment.kind === 'drop') continue;
    const plan: ColumnPlan = {
      spec,
      index,
      field: found.field,
      slot: slotOf.get(spec.name) ?? -1,
      step: compile(spec, found.unit, unitFieldOf.get(spec) ?? -1),
    };
    if (spec.name === contract.siteColumn) sitePlan = plan;
    else plans.push(plan);
  }
  if (sitePlan === undefined)
    throw new HeaderError(
      contract.name,
      [contract.siteColumn],
      `${contract.name}: the header lacks the site column ${contract.siteColumn}`,
    );
  plans.unshift(sitePlan);

  // Row rules, with the value slots they read; only for columns this source has (a rule on an absent column never fails).
  const rules = (contract.rowRules ?? []).flatMap((rule) => {
    const slots = rule.columns.map((name) => slotOf.get(name) ?? -1);
    return slots.every((slot) => slot >= 0) ? [{ rule, slots, args: new Array<RuleValue>(slots.length) }] : [];
  });
  const flagsSlot = curated.findIndex((c) => c.name === QUALITY_FLAGS_COLUMN.name);

  const eventPlan =
    contract.eventTimeColumn !== undefined ? plans.find((p) => p.spec.name === contract.eventTimeColumn) : undefined;
  const dedupeSlots = contract.dedupeKey.map((name) => slotOf.get(name) ?? -1);
  const dedupeRawFields = contract.dedupeKey.map((name) => (name === contract.siteColumn ? sitePlan.field : -1));
  const ingestedDt = options.ingestedAt.toISOString().slice(0, 10);
  const keyPrint = new KeyFingerprint();
  let lastDay = NaN;
  let lastDt = '';
  const dtOf = (ms: number): string => {
    const day = Math.floor(ms / DAY_MS);
    if (day !== lastDay) {
      lastDay = day;
      lastDt = new Date(day * DAY_MS).toISOString().slice(0, 10);
    }
    return lastDt;
  };

  const protectedRow = (values: CuratedValue[], siteText: string): Record<string, CuratedValue> => {
    const row: Record<string, CuratedValue> = {};
    for (const plan of plans) {
      const spec = plan.spec;
      const failed = failedAt[plan.index] === state.serial;
      const key = plan.slot >= 0 ? (curated[plan.slot]?.name ?? spec.name) : spec.name;
      if (!failed) {
        row[key] = plan.slot >= 0 ? (values[plan.slot] ?? null) : (state.site ?? null);
        continue;
      }
      const text = (state.record[plan.field] ?? '').trim();
      if (spec.pii === 'none') row[key] = text === '' ? null : excerpt(text, 200);
      else if (spec.treatment.kind === 'tokenize' && text !== '')
        row[key] = options.tokenizer.token(spec.treatment.as, text);
      else row[key] = null;
    }
    if (!(contract.siteColumn in row)) row[contract.siteColumn] = siteText === '' ? null : excerpt(siteText, 200);
    row._source_hash = options.sourceHash;
    row._source_line = state.line;
    row._ingested_at = options.ingestedAt;
    return row;
  };

  return {
    header: { mapped, unknown, missingRequired },
    normalize(record, line) {
      state.record = record;
      state.line = line;
      state.serial += 1;
      state.site = undefined;
      state.rejections = undefined;
      const values: CuratedValue[] = new Array<CuratedValue>(width).fill(null);
      for (const plan of plans) {
        state.current = plan;
        const raw = record[plan.field];
        const value = plan.step(raw === undefined ? '' : raw.trim());
        if (value === INVALID) continue;
        if (plan === sitePlan) state.site = value === 'SG' || value === 'US' ? value : undefined;
        else if (plan.slot >= 0) values[plan.slot] = value;
      }
      state.current = undefined;
      if (hashSlot >= 0) values[hashSlot] = options.sourceHash;
      if (lineSlot >= 0) values[lineSlot] = line;
      if (ingestedSlot >= 0) values[ingestedSlot] = options.ingestedAt;

      // Row rules see only rows whose every value passed its own column's checks.
      if (state.rejections === undefined && rules.length > 0) {
        let flags: string | undefined;
        for (const { rule, slots, args } of rules) {
          let present = true;
          for (let k = 0; k < slots.length && present; k++) {
            const value = values[slots[k] as number];
            if (value === null || value === undefined) present = false;
            else args[k] = value;
          }
          if (!present || rule.check(args)) continue;
          if (rule.severity === 'flag') flags = flags === undefined ? rule.id : `${flags},${rule.id}`;
          else
            (state.rejections ??= []).push({
              line,
              column: rule.columns.join('+'),
              rule: rule.id,
              reason: rule.description,
            });
        }
        if (flagsSlot >= 0) values[flagsSlot] = flags ?? null;
      }

      const site = state.site;
      if (state.rejections !== undefined || site === undefined) {
        const rejections = state.rejections ?? [
          {
            line,
            column: contract.siteColumn,
            rule: 'required',
            reason: `${contract.siteColumn} is required but empty`,
          },
        ];
        return { ok: false, rejections, protectedValues: protectedRow(values, (record[sitePlan.field] ?? '').trim()) };
      }
      let dt = ingestedDt;
      if (eventPlan !== undefined) {
        const at = values[eventPlan.slot];
        if (at instanceof Date) dt = dtOf(at.getTime());
      }
      const print = keyPrint.start();
      for (let k = 0; k < dedupeSlots.length; k++) {
        const slot = dedupeSlots[k] ?? -1;
        const value = slot >= 0 ? values[slot] : (dedupeRawFields[k] ?? -1) >= 0 ? site : null;
        if (typeof value === 'string') print.addString(value);
        else if (value instanceof Date) print.addNumber(value.getTime());
        else if (typeof value === 'number') print.addNumber(value);
        else if (typeof value === 'boolean') print.addNumber(value ? 1 : 0);
        else print.addNull();
      }
      return { ok: true, site, dt, values, dedupeFingerprint: print.value() };
    },
  };
}
