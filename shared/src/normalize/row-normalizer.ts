/**
 * The contract-driven row pipeline: map headers, parse typed values, convert
 * units, resolve timestamps to UTC, validate, and protect PII, producing the
 * curated values of one row (or why it was rejected).
 *
 * Everything that depends only on the header is decided once in
 * `createRowNormalizer` (the header plan and a compiled step per column, see
 * column-steps.ts); `normalize` runs once per row and allocates little beyond
 * the values array.
 */
import {
  type CuratedValue,
  curatedColumns,
  type DatasetContract,
  QUALITY_FLAGS_COLUMN,
  type Site,
} from '../datasets/contract';
import type { HeaderMapping } from '../datasets/header-aliases';
import type { Tokenizer } from '../privacy/tokenize';
import { columnStep, type StepContext } from './column-steps';
import { dedupeKeyFingerprinter } from './dedupe-key';
import { HeaderError, planHeader } from './header-plan';
import { protectRejectedRow, type RejectedRowContext } from './pii-protection';
import { checkRowRules, compileRowRules } from './row-rules';
import { type ColumnPlan, INVALID, type RowRejection, RowState } from './row-state';
import { siteTimeZones } from './time-steps';
import { DAY_MS } from './timestamps';

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

/** The UTC date (YYYY-MM-DD) of an instant, remembering the last day asked: rows of a file mostly share days. */
function utcDateOf(): (ms: number) => string {
  let lastDay = NaN;
  let lastDt = '';
  return (ms) => {
    const day = Math.floor(ms / DAY_MS);
    if (day !== lastDay) {
      lastDay = day;
      lastDt = new Date(day * DAY_MS).toISOString().slice(0, 10);
    }
    return lastDt;
  };
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
  const curated = curatedColumns(contract);
  const width = curated.length;
  const slotOf = new Map<string, number>();
  curated.forEach((column, index) => {
    if (column.source !== undefined) slotOf.set(column.source, index);
  });
  const hashSlot = curated.findIndex((c) => c.name === '_source_hash');
  const lineSlot = curated.findIndex((c) => c.name === '_source_line');
  const ingestedSlot = curated.findIndex((c) => c.name === '_ingested_at');

  const { mapping, fieldOf, unitFieldOf } = planHeader(contract, header);
  const row = new RowState(contract.columns.length);
  const context: StepContext = {
    row,
    decimalComma: options.decimalComma === true,
    asOf: options.now ?? options.ingestedAt,
    tokenizer: options.tokenizer,
    zones: siteTimeZones(contract),
  };

  // The site goes first: local timestamps and ZIP3 suppression depend on it.
  const plans: ColumnPlan[] = [];
  let foundSitePlan: ColumnPlan | undefined;
  for (const [index, spec] of contract.columns.entries()) {
    const found = fieldOf.get(spec);
    // Dropped columns are never read: their values cannot leak through any message.
    if (found === undefined || spec.treatment.kind === 'drop') continue;
    const plan: ColumnPlan = {
      spec,
      index,
      field: found.field,
      slot: slotOf.get(spec.name) ?? -1,
      step: columnStep(spec, found.unit, unitFieldOf.get(spec) ?? -1, context),
    };
    if (spec.name === contract.siteColumn) foundSitePlan = plan;
    else plans.push(plan);
  }
  if (foundSitePlan === undefined)
    throw new HeaderError(
      contract.name,
      [contract.siteColumn],
      `${contract.name}: the header lacks the site column ${contract.siteColumn}`,
    );
  const sitePlan = foundSitePlan;
  plans.unshift(sitePlan);

  const rules = compileRowRules(contract, slotOf);
  const flagsSlot = curated.findIndex((c) => c.name === QUALITY_FLAGS_COLUMN.name);
  const eventPlan =
    contract.eventTimeColumn !== undefined ? plans.find((p) => p.spec.name === contract.eventTimeColumn) : undefined;
  const fingerprint = dedupeKeyFingerprinter(contract, slotOf);
  const ingestedDt = options.ingestedAt.toISOString().slice(0, 10);
  const dtOf = utcDateOf();
  const rejected: RejectedRowContext = {
    plans,
    curated,
    siteColumn: contract.siteColumn,
    tokenizer: options.tokenizer,
    sourceHash: options.sourceHash,
    ingestedAt: options.ingestedAt,
  };

  return {
    header: mapping,
    normalize(record, line) {
      row.begin(record, line);
      const values: CuratedValue[] = new Array<CuratedValue>(width).fill(null);
      for (const plan of plans) {
        row.current = plan;
        const raw = record[plan.field];
        const value = plan.step(raw === undefined ? '' : raw.trim());
        if (value === INVALID) continue;
        if (plan === sitePlan) row.site = value === 'SG' || value === 'US' ? value : undefined;
        else if (plan.slot >= 0) values[plan.slot] = value;
      }
      row.current = undefined;
      if (hashSlot >= 0) values[hashSlot] = options.sourceHash;
      if (lineSlot >= 0) values[lineSlot] = line;
      if (ingestedSlot >= 0) values[ingestedSlot] = options.ingestedAt;

      // Row rules see only rows whose every value passed its own column's checks.
      if (row.rejections === undefined && rules.length > 0) {
        const flags = checkRowRules(rules, values, line, row);
        if (flagsSlot >= 0) values[flagsSlot] = flags ?? null;
      }

      const site = row.site;
      if (row.rejections !== undefined || site === undefined) {
        const rejections = row.rejections ?? [
          {
            line,
            column: contract.siteColumn,
            rule: 'required',
            reason: `${contract.siteColumn} is required but empty`,
          },
        ];
        const siteText = (record[sitePlan.field] ?? '').trim();
        return { ok: false, rejections, protectedValues: protectRejectedRow(rejected, row, values, siteText) };
      }
      let dt = ingestedDt;
      if (eventPlan !== undefined) {
        const at = values[eventPlan.slot];
        if (at instanceof Date) dt = dtOf(at.getTime());
      }
      return { ok: true, site, dt, values, dedupeFingerprint: fingerprint(values, site) };
    },
  };
}
