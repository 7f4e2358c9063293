/**
 * Header aliases: which contract column each source header feeds. Sources
 * write headers every way ("Heart Rate (bpm)", "HR", "\uFEFFpatient_id"), so
 * matching ignores case, spaces, punctuation and BOM remnants. Part of the
 * contract's vocabulary: the registry checks it at load, the row pipeline and
 * dataset detection read it.
 */
import type { ColumnSpec, DatasetContract } from './contract';

/** What a normalized header key stands for in one contract. */
export type HeaderTarget =
  /** A contract column; `unit` when the header says which unit its values are in. */
  | { kind: 'column'; column: ColumnSpec; unit?: string }
  /** The per-row unit column of `column` (e.g. `dose_unit` for `dose_mg`): read, never stored. */
  | { kind: 'unit'; column: ColumnSpec };

/**
 * The comparison key of a header: lower-case letters and digits only, with
 * micro signs spelled `u` so "Dose (µg)" and "dose_ug" match.
 */
export function headerKey(header: string): string {
  let key = '';
  const lower = header.toLowerCase();
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) key += lower[i];
    else if (c === 0xb5 || c === 0x3bc) key += 'u';
  }
  return key;
}

/** How one source's header maps onto a contract (recorded in the chunk manifest). */
export interface HeaderMapping {
  /** Source headers used, with the contract column (or unit column) each feeds. */
  mapped: { header: string; column: string }[];
  /**
   * Columns (1 = the first) whose headers the contract does not know: never read.
   * Positions, not the header text: a header is free text from the source (a wide
   * export may head a column with a patient's name), and manifests are widely read.
   */
  unknown: number[];
  /** Required contract columns no header maps to (empty, or the constructor throws). */
  missingRequired: string[];
}

/** Two headers of one contract that would map to different columns. */
export interface HeaderCollision {
  key: string;
  first: string;
  second: string;
}

interface HeaderIndex {
  targets: Map<string, HeaderTarget>;
  collisions: HeaderCollision[];
}

const indexes = new WeakMap<DatasetContract, HeaderIndex>();

function describe(target: HeaderTarget): string {
  return target.kind === 'unit'
    ? `${target.column.unitColumn ?? ''} (unit of ${target.column.name})`
    : target.column.name;
}

function buildIndex(contract: DatasetContract): HeaderIndex {
  const targets = new Map<string, HeaderTarget>();
  const collisions: HeaderCollision[] = [];
  const add = (header: string, target: HeaderTarget) => {
    const key = headerKey(header);
    const existing = targets.get(key);
    if (existing === undefined) {
      targets.set(key, target);
      return;
    }
    const unitOf = (t: HeaderTarget) => (t.kind === 'column' ? (t.unit ?? t.column.unit) : undefined);
    const same =
      existing.kind === target.kind && existing.column === target.column && unitOf(existing) === unitOf(target);
    if (!same) collisions.push({ key, first: describe(existing), second: describe(target) });
  };
  // Canonical names first, so an alias can never shadow a column's own name.
  for (const column of contract.columns) add(column.name, { kind: 'column', column });
  for (const column of contract.columns) {
    if (column.unitColumn !== undefined) add(column.unitColumn, { kind: 'unit', column });
    for (const alias of column.aliases ?? []) {
      if (typeof alias === 'string') add(alias, { kind: 'column', column });
      else add(alias.header, { kind: 'column', column, unit: alias.unit });
    }
  }
  return { targets, collisions };
}

function index(contract: DatasetContract): HeaderIndex {
  let found = indexes.get(contract);
  if (found === undefined) {
    found = buildIndex(contract);
    indexes.set(contract, found);
  }
  return found;
}

/** What a source header maps to in `contract`, or undefined when the contract does not know it. */
export function resolveHeader(contract: DatasetContract, header: string): HeaderTarget | undefined {
  return index(contract).targets.get(headerKey(header));
}

/** Headers of the contract that normalize to the same key but mean different columns (a contract bug). */
export function headerCollisions(contract: DatasetContract): readonly HeaderCollision[] {
  return index(contract).collisions;
}

/** The headers a source may use for a column, for messages: its name and its aliases. */
export function acceptedHeaders(column: ColumnSpec): string[] {
  return [column.name, ...(column.aliases ?? []).map((alias) => (typeof alias === 'string' ? alias : alias.header))];
}
