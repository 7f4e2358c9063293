/**
 * The privacy treatments of the row pipeline (through privacy/): what an accepted
 * personal value becomes (a token, a birth year, a truncated postal code), and
 * what a rejected row may show in the rejects file.
 */
import type { ColumnSpec, CuratedColumn, CuratedValue } from '../datasets/contract';
import { birthYear, truncatePostal } from '../privacy/generalize';
import type { Tokenizer } from '../privacy/tokenize';
import type { ColumnPlan, Invalid, RowState } from './row-state';
import { excerpt } from './values';

/** What a valid calendar day (UTC midnight in ms) of a date column is stored as: the date, or a birth year. */
export function protectDay(spec: ColumnSpec, row: RowState, asOf: Date): (day: number) => CuratedValue | Invalid {
  const treatment = spec.treatment;
  const name = spec.name;
  return treatment.kind === 'birth_year'
    ? (day) =>
        birthYear(new Date(day), asOf, treatment.topCodeAge) ?? row.reject('range', `${name} is after the ingest date`)
    : (day) => new Date(day).toISOString().slice(0, 10);
}

/** What a valid text value is stored as: a token, a truncated postal code, or the text itself. */
export function protectText(spec: ColumnSpec, row: RowState, tokenizer: Tokenizer): (text: string) => CuratedValue {
  const treatment = spec.treatment;
  return treatment.kind === 'tokenize'
    ? tokenizer.forNamespace(treatment.as)
    : treatment.kind === 'truncate_postal'
      ? (text) => truncatePostal(text, treatment.keep, row.site) ?? null
      : (text) => text;
}

/** What the rejects of one source share: its plans, the curated columns, and the lineage of every row. */
export interface RejectedRowContext {
  /** The plans of the columns read, the site's first. */
  plans: readonly ColumnPlan[];
  curated: readonly CuratedColumn[];
  siteColumn: string;
  tokenizer: Tokenizer;
  sourceHash: string;
  ingestedAt: Date;
}

/**
 * The rejected row as it may be written to rejects, by curated column name (and
 * the site column): values that passed as curated; failed ones tokenized when
 * they are identifiers, excerpted when not personal, null otherwise.
 */
export function protectRejectedRow(
  context: RejectedRowContext,
  row: RowState,
  values: readonly CuratedValue[],
  siteText: string,
): Record<string, CuratedValue> {
  const { curated, tokenizer } = context;
  const result: Record<string, CuratedValue> = {};
  for (const plan of context.plans) {
    const spec = plan.spec;
    const key = plan.slot >= 0 ? (curated[plan.slot]?.name ?? spec.name) : spec.name;
    if (!row.failed(plan.index)) {
      result[key] = plan.slot >= 0 ? (values[plan.slot] ?? null) : (row.site ?? null);
      continue;
    }
    const text = (row.record[plan.field] ?? '').trim();
    if (spec.pii === 'none') result[key] = text === '' ? null : excerpt(text, 200);
    else if (spec.treatment.kind === 'tokenize' && text !== '') result[key] = tokenizer.token(spec.treatment.as, text);
    else result[key] = null;
  }
  if (!(context.siteColumn in result)) result[context.siteColumn] = siteText === '' ? null : excerpt(siteText, 200);
  result._source_hash = context.sourceHash;
  result._source_line = row.line;
  result._ingested_at = context.ingestedAt;
  return result;
}
