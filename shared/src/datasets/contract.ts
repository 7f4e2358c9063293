/**
 * The dataset contract: the one place that says what a dataset is. Parsing
 * (header aliases, units), validation, privacy treatment, the Parquet schema,
 * the catalog table and the query views are all derived from it.
 */

/** Logical column types; each maps to one Parquet/DuckDB type and one Glue (Hive) type. */
export type ColumnType = 'string' | 'integer' | 'double' | 'boolean' | 'date' | 'timestamp';

/**
 * How personal a column is.
 * - `none`: not personal data.
 * - `direct`: names, emails, phones, street addresses: never leave the raw zone.
 * - `identifier`: patient ids and device serial numbers: tokenized so joins still work.
 * - `quasi`: birth dates, postal codes: generalized.
 */
export type PiiClass = 'none' | 'direct' | 'identifier' | 'quasi';

/** What happens to a column on its way to curated (and to rejects). */
export type Treatment =
  | { kind: 'keep' }
  | { kind: 'drop' }
  /** Keyed HMAC-SHA256 token, written under the name `as`. */
  | { kind: 'tokenize'; as: string }
  /** A date becomes its year, written under `as`; ages above `topCodeAge` are reported as that age's birth year. */
  | { kind: 'birth_year'; as: string; topCodeAge: number }
  /** Keeps the first `keep` characters of a postal code, written under `as`. */
  | { kind: 'truncate_postal'; as: string; keep: number };

/** A header a source may use for a column; a header can also say which unit its values are in. */
export type HeaderAlias = string | { header: string; unit: string };

export interface ColumnSpec {
  /** Canonical name, snake_case, with the unit in the name where there is one (`heart_rate_bpm`). */
  name: string;
  type: ColumnType;
  description: string;
  required?: boolean;
  /** The canonical unit the curated value is in. */
  unit?: string;
  /** Other units accepted in sources, converted to `unit` (see datasets/units). */
  acceptedUnits?: readonly string[];
  /** A source column that gives each row's unit for this column (e.g. `dose_unit`). */
  unitColumn?: string;
  /** Inclusive bounds, in the canonical unit, after conversion. */
  range?: { min: number; max: number };
  /** Allowed values for strings (compared after trimming, case-insensitive; stored as written here). */
  allowed?: readonly string[];
  /**
   * Source spellings of allowed values (`female` -> `F`, `po` -> `oral`), matched
   * case-insensitively after trimming; each target must be one of `allowed`.
   */
  valueAliases?: Readonly<Record<string, string>>;
  /** A regular expression (source text) the trimmed value must match. */
  pattern?: string;
  /** Headers sources use for this column, besides its name. Matching ignores case, spaces, punctuation. */
  aliases?: readonly HeaderAlias[];
  pii: PiiClass;
  treatment: Treatment;
}

export type DatasetStage = 'staging' | 'curated';

export type Site = 'SG' | 'US';

export interface DatasetContract {
  name: string;
  /** Bumped on an incompatible change. */
  version: number;
  stage: DatasetStage;
  description: string;
  columns: readonly ColumnSpec[];
  /** The column holding the site (SG | US); its value becomes the `site` partition. */
  siteColumn: string;
  /** The timestamp column whose UTC date becomes the `dt` partition; without one, the ingest date is used. */
  eventTimeColumn?: string;
  /**
   * Time zones for timestamps written without an offset, per site. A site not listed here
   * makes such timestamps a rejected row: guessing a zone would shift readings silently.
   */
  localTimeZones?: Partial<Record<Site, string>>;
  /** Source column names whose values identify one record; later ingests of the same key win. */
  dedupeKey: readonly string[];
  /** Always `site`, `dt`: the curated layout is `<dataset>/site=<SG|US>/dt=<YYYY-MM-DD>/`. */
  partitionKeys: readonly ['site', 'dt'];
  /** Rules across several values of a row, checked after every column passed its own. */
  rowRules?: readonly RowRule[];
  /** A file (each chunk of it) rejecting more than this share of its rows is quarantined whole (default DEFAULT_MAX_REJECTED_SHARE). */
  maxRejectedShare?: number;
}

/** Half the rows rejected: no longer a few bad readings but a file read wrongly. */
export const DEFAULT_MAX_REJECTED_SHARE = 0.5;

/** A value a row rule reads: a curated value that is present. */
export type RuleValue = string | number | boolean | Date;

/**
 * A rule over several values of one row, checked on curated values (typed, in
 * the contract's units, timestamps in UTC). Skipped when any of its columns is
 * empty: a missing optional value is not a violation.
 */
export interface RowRule {
  /** Written to rejects as the rule, and to `_quality_flags`, e.g. `dose_within_prescribed_max`. */
  id: string;
  /** What it requires, in words: the reason when a row fails it (values are not echoed). */
  description: string;
  /** Contract column names, in the order `check` receives their values. */
  columns: readonly string[];
  check(values: readonly RuleValue[]): boolean;
  /** reject: the row goes to rejects. flag: the row is kept and the rule id listed in its `_quality_flags`. */
  severity: 'reject' | 'flag';
}

/** The sites the lake knows; data residency follows them. */
export const SITES: readonly Site[] = ['SG', 'US'];

/** A column as it is stored in curated Parquet and described in the catalog. */
export interface CuratedColumn {
  name: string;
  type: ColumnType;
  description: string;
  pii: PiiClass;
  unit?: string;
  /** The contract column it comes from; undefined for lineage columns added by the pipeline. */
  source?: string;
}

/** Lineage columns every curated file carries, so views can keep the latest version of a record. */
export const LINEAGE_COLUMNS: readonly CuratedColumn[] = [
  { name: '_source_hash', type: 'string', description: 'SHA-256 of the raw object this row came from', pii: 'none' },
  {
    name: '_source_line',
    type: 'integer',
    description: 'Record number of the row in its raw object (1 = first data row)',
    pii: 'none',
  },
  { name: '_ingested_at', type: 'timestamp', description: 'When the raw object was landed (UTC)', pii: 'none' },
];

/**
 * Which version of a record is the latest, among rows with the same dedupe key:
 * the latest ingest, then (deterministically) source hash and line, all descending.
 */
export const LATEST_VERSION_ORDER: readonly string[] = ['_ingested_at', '_source_hash', '_source_line'];

/** Present in contracts with flagging rules: the ids of the rules a kept row failed, comma-separated; null when none. */
export const QUALITY_FLAGS_COLUMN: CuratedColumn = {
  name: '_quality_flags',
  type: 'string',
  description: 'Data quality rules this row failed but was kept for (comma-separated rule ids)',
  pii: 'none',
};

/** The name a column is stored under in curated, or undefined when its treatment drops it. */
export function curatedName(column: ColumnSpec): string | undefined {
  switch (column.treatment.kind) {
    case 'keep':
      return column.name;
    case 'drop':
      return undefined;
    case 'tokenize':
    case 'birth_year':
    case 'truncate_postal':
      return column.treatment.as;
  }
}

function curatedType(column: ColumnSpec): ColumnType {
  switch (column.treatment.kind) {
    case 'tokenize':
    case 'truncate_postal':
      return 'string';
    case 'birth_year':
      return 'integer';
    default:
      return column.type;
  }
}

/**
 * The columns of the dataset's curated Parquet files, in file order: the kept and
 * protected contract columns (partition columns excluded: they live in the path),
 * then the lineage columns.
 */
export function curatedColumns(contract: DatasetContract): CuratedColumn[] {
  const columns: CuratedColumn[] = [];
  for (const column of contract.columns) {
    const name = curatedName(column);
    if (name === undefined || column.name === contract.siteColumn) continue;
    columns.push({
      name,
      type: curatedType(column),
      description: column.description,
      pii: column.pii,
      ...(column.unit !== undefined && column.treatment.kind === 'keep' ? { unit: column.unit } : {}),
      source: column.name,
    });
  }
  return [
    ...columns,
    ...LINEAGE_COLUMNS,
    ...(contract.rowRules?.some((r) => r.severity === 'flag') ? [QUALITY_FLAGS_COLUMN] : []),
  ];
}

/** The curated names of the dedupe key (tokens where the key is an identifier). */
export function curatedDedupeKey(contract: DatasetContract): string[] {
  return contract.dedupeKey.map((sourceName) => {
    const column = contract.columns.find((c) => c.name === sourceName);
    const name = column && curatedName(column);
    if (name === undefined)
      throw new ContractError(contract.name, `dedupe key column ${sourceName} is not stored in curated`);
    return name;
  });
}

/** A contract that contradicts itself; thrown when contracts are loaded, never at ingest time. */
export class ContractError extends Error {
  override name = 'ContractError';
  constructor(
    readonly dataset: string,
    message: string,
  ) {
    super(`dataset contract ${dataset}: ${message}`);
  }
}

const TREATMENTS_ALLOWED: Record<PiiClass, readonly Treatment['kind'][]> = {
  none: ['keep', 'drop'],
  direct: ['drop'],
  identifier: ['tokenize', 'drop'],
  quasi: ['birth_year', 'truncate_postal', 'drop'],
};

/**
 * Checks a contract for contradictions: a direct identifier kept, a dedupe key that
 * does not exist, duplicate names or aliases. Throws ContractError.
 */
export function assertValidContract(contract: DatasetContract): void {
  const fail = (message: string): never => {
    throw new ContractError(contract.name, message);
  };
  const names = new Set<string>();
  const curated = new Set<string>();
  for (const column of contract.columns) {
    if (names.has(column.name)) fail(`column ${column.name} is declared twice`);
    names.add(column.name);
    if (!TREATMENTS_ALLOWED[column.pii].includes(column.treatment.kind)) {
      fail(`column ${column.name} is PII class ${column.pii} and cannot be treated with ${column.treatment.kind}`);
    }
    const stored = curatedName(column);
    if (stored !== undefined) {
      if (curated.has(stored)) fail(`two columns are stored as ${stored}`);
      curated.add(stored);
    }
    if (column.range && column.type !== 'integer' && column.type !== 'double')
      fail(`column ${column.name} has a range but is not numeric`);
    if (column.acceptedUnits?.length && column.unit === undefined)
      fail(`column ${column.name} accepts units but has no canonical unit`);
  }
  const site = contract.columns.find((c) => c.name === contract.siteColumn);
  if (!site) fail(`site column ${contract.siteColumn} is not declared`);
  if (contract.eventTimeColumn !== undefined) {
    const eventTime = contract.columns.find((c) => c.name === contract.eventTimeColumn);
    if (eventTime?.type !== 'timestamp')
      fail(`event time column ${contract.eventTimeColumn} must be a declared timestamp`);
  }
  for (const key of contract.dedupeKey) if (!names.has(key)) fail(`dedupe key column ${key} is not declared`);
  curatedDedupeKey(contract);
  if (contract.partitionKeys[0] !== 'site' || contract.partitionKeys[1] !== 'dt')
    fail('partition keys must be site, dt');
}

/**
 * A value as the pipeline hands it to the Parquet writer: `timestamp` as a Date (UTC),
 * `date` as 'YYYY-MM-DD', `integer` and `double` as numbers, null for missing.
 */
export type CuratedValue = string | number | boolean | Date | null;
