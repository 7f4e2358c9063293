/**
 * The datasets the lake knows. Contracts are checked when this module loads,
 * so a contradictory contract fails every test and every cold start, not a
 * file at 3 a.m.
 */
import { assertValidContract, ContractError, curatedColumns, type DatasetContract } from './contract';
import { headerCollisions, resolveHeader } from './header-aliases';
import { ZoneOffsets } from './time-zones';
import { canonicalUnit, conversion } from './units';
import { devices } from './devices';
import { dosage } from './dosage';
import { ecg } from './ecg';
import { gait } from './gait';
import { patients } from './patients';
import { vitals } from './vitals';

/** A dataset name no contract has. */
export class UnknownDatasetError extends Error {
  override name = 'UnknownDatasetError';
  constructor(
    readonly dataset: string,
    known: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`unknown dataset '${dataset}'; known datasets: ${known.join(', ')}`, options);
  }
}

/**
 * Checks what `assertValidContract` cannot alone: header aliases
 * that collide, units without a conversion, allowed-value aliases pointing
 * nowhere, patterns that do not compile, time zones Intl does not know.
 * Throws ContractError.
 */
export function assertLoadableContract(contract: DatasetContract): void {
  assertValidContract(contract);
  const fail = (message: string, cause?: unknown): never => {
    throw new ContractError(contract.name, cause === undefined ? message : `${message}: ${String(cause)}`);
  };
  for (const collision of headerCollisions(contract))
    fail(`headers '${collision.key}' map to both ${collision.first} and ${collision.second}`);
  for (const column of contract.columns) {
    const units = [
      ...(column.acceptedUnits ?? []),
      ...(column.aliases ?? []).flatMap((a) => (typeof a === 'string' ? [] : [a.unit])),
    ];
    for (const unit of units) {
      if (column.unit === undefined || canonicalUnit(unit) !== unit || conversion(unit, column.unit) === undefined) {
        fail(
          `column ${column.name} accepts unit ${unit} but there is no conversion from it to ${column.unit ?? 'a canonical unit'}`,
        );
      }
      if (!(column.acceptedUnits ?? []).includes(unit) && unit !== column.unit)
        fail(`column ${column.name} has a header alias in ${unit}, which is not among its acceptedUnits`);
    }
    if (column.unit !== undefined && canonicalUnit(column.unit) !== column.unit)
      fail(`column ${column.name} has unit ${column.unit}, which is not a canonical unit id`);
    for (const [spelling, target] of Object.entries(column.valueAliases ?? {})) {
      if (!(column.allowed ?? []).includes(target))
        fail(`column ${column.name} maps '${spelling}' to ${target}, which is not an allowed value`);
    }
    if (column.pattern !== undefined) {
      try {
        new RegExp(column.pattern);
      } catch (error) {
        fail(`column ${column.name} has a pattern that does not compile`, error);
      }
    }
    if (column.unitColumn !== undefined && !['integer', 'double'].includes(column.type))
      fail(`column ${column.name} has a unit column but is not numeric`);
  }
  const share = contract.maxRejectedShare;
  if (share !== undefined && !(share >= 0 && share <= 1))
    fail(`maxRejectedShare ${share} must be a share between 0 and 1`);
  const kept = new Set(curatedColumns(contract).flatMap((c) => (c.source !== undefined ? [c.source] : [])));
  for (const rule of contract.rowRules ?? []) {
    if (!/^[a-z][a-z0-9_]*$/.test(rule.id)) fail(`row rule ${rule.id} must have a snake_case id`);
    for (const name of rule.columns)
      if (!kept.has(name)) fail(`row rule ${rule.id} reads ${name}, which is not a column kept in curated`);
  }
  const site = contract.columns.find((c) => c.name === contract.siteColumn);
  if (site?.allowed === undefined || site.allowed.some((v) => v !== 'SG' && v !== 'US'))
    fail(`site column ${contract.siteColumn} must allow only SG and US`);
  for (const zone of Object.values(contract.localTimeZones ?? {})) {
    try {
      if (zone !== undefined) new ZoneOffsets(zone);
    } catch (error) {
      fail(`local time zone ${zone ?? ''} is not known`, error);
    }
  }
}

/** All datasets, validated at load. */
export const DATASETS: readonly DatasetContract[] = [patients, devices, vitals, ecg, gait, dosage];
for (const contract of DATASETS) assertLoadableContract(contract);

const BY_NAME = new Map(DATASETS.map((d) => [d.name, d]));

/** The contract named `name`, or undefined. */
export function findContract(name: string): DatasetContract | undefined {
  return BY_NAME.get(name);
}

/** The contract named `name`; throws UnknownDatasetError listing the known names. */
export function getContract(name: string): DatasetContract {
  const contract = BY_NAME.get(name);
  if (contract === undefined)
    throw new UnknownDatasetError(
      name,
      DATASETS.map((d) => d.name),
    );
  return contract;
}

/** The dataset named by the first segment of an object key (`vitals/clinic-sg/2026-01-02.csv`), case-insensitively. */
export function detectDatasetFromKey(key: string): DatasetContract | undefined {
  const first = key.replace(/^\/+/, '').split('/', 1)[0] ?? '';
  return first === '' ? undefined : BY_NAME.get(first.trim().toLowerCase());
}

/**
 * The dataset a header belongs to: among contracts whose required columns are
 * all present, the one that recognises the most headers (ties broken by the
 * share of the contract's columns covered). Undefined when none fits or two
 * fit equally well: guessing would put data in the wrong table.
 */
export function detectDatasetFromHeader(header: readonly string[]): DatasetContract | undefined {
  let best: DatasetContract | undefined;
  let bestScore = -1;
  let bestCoverage = -1;
  let tie = false;
  for (const contract of DATASETS) {
    const score = headerScore(contract, header);
    if (score === undefined) continue;
    const coverage = score / contract.columns.length;
    if (score > bestScore || (score === bestScore && coverage > bestCoverage)) {
      best = contract;
      bestScore = score;
      bestCoverage = coverage;
      tie = false;
    } else if (score === bestScore && coverage === bestCoverage) {
      tie = true;
    }
  }
  return tie ? undefined : best;
}

/** How many of the contract's columns (and unit columns) the header names; undefined when a required one is missing. */
function headerScore(contract: DatasetContract, header: readonly string[]): number | undefined {
  const seen = new Set<string>();
  for (const text of header) {
    const target = resolveHeader(contract, text);
    if (target !== undefined) seen.add(target.kind === 'unit' ? `unit:${target.column.name}` : target.column.name);
  }
  return contract.columns.some((c) => c.required === true && !seen.has(c.name)) ? undefined : seen.size;
}

/** The dataset a workbook sheet's name names: `Vitals`, `ECG`, `Dosages`, `device` (case, spaces and a plural s aside). */
export function datasetNamedBySheet(sheetName: string): DatasetContract | undefined {
  const name = sheetName.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (name === '') return undefined;
  return (
    BY_NAME.get(name) ?? BY_NAME.get(`${name}s`) ?? (name.endsWith('s') ? BY_NAME.get(name.slice(0, -1)) : undefined)
  );
}

/**
 * The dataset a workbook sheet holds, given a row that may be its header: the
 * dataset the sheet is named after when the row has that dataset's required
 * columns (an ECG sheet holding only heart rates is still ECG), else the
 * dataset the row's headers fit best.
 */
export function detectDatasetOfSheet(sheetName: string, header: readonly string[]): DatasetContract | undefined {
  const named = datasetNamedBySheet(sheetName);
  if (named !== undefined && headerScore(named, header) !== undefined) return named;
  return detectDatasetFromHeader(header);
}
