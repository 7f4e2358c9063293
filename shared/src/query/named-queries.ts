/**
 * The basket of named queries partners may run. Each is defined (and its SQL
 * checked for logical tables only) in its own file; this is the registry.
 */
import { abnormalHeartRateEpisodes } from './abnormal-heart-rate-episodes';
import { cohortSummary } from './cohort-summary';
import { RefusalError } from '../refusal';
import { dailyVitals } from './daily-vitals';
import { dosageAdherence } from './dosage-adherence';
import { gaitFallRisk } from './gait-fall-risk';
import { qtcProlongation } from './qtc-prolongation';
import type { NamedQuery } from './named-query';

export type { NamedQuery, ResultColumn } from './named-query';
export type { ParameterSpec } from './parameters';

/** Every named query, every version still served. */
export const NAMED_QUERIES: readonly Readonly<NamedQuery>[] = [
  dailyVitals,
  abnormalHeartRateEpisodes,
  qtcProlongation,
  gaitFallRisk,
  dosageAdherence,
  cohortSummary,
];

/** No named query by that name (and version). */
export class UnknownQueryError extends RefusalError {
  override name = 'UnknownQueryError';
  /** Safe to show: it names only the basket's queries. */
  constructor(message: string, options?: { cause?: unknown }) {
    super('not_found', 'unknown_query', message, undefined, options);
  }
}

function basket(): string {
  return NAMED_QUERIES.map((q) => `${q.name} v${q.version}`).join(', ');
}

/**
 * The named query `name`, at `version` or else its latest version.
 * Throws UnknownQueryError listing the queries there are.
 */
export function getNamedQuery(name: string, version?: number): Readonly<NamedQuery> {
  const candidates = NAMED_QUERIES.filter((q) => q.name === name && (version === undefined || q.version === version));
  const latest = candidates.reduce<Readonly<NamedQuery> | undefined>(
    (best, q) => (best === undefined || q.version > best.version ? q : best),
    undefined,
  );
  if (latest === undefined) {
    const what = /^[a-z][a-z0-9_]{0,60}$/.test(name)
      ? `${name}${version === undefined ? '' : ` v${version}`}`
      : 'that name';
    throw new UnknownQueryError(`there is no named query ${what}; the queries are: ${basket()}`);
  }
  return latest;
}
