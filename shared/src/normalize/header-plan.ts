/**
 * The header plan: which field of a source feeds which contract column (and
 * which field holds a column's per-row unit), decided once per source. A header
 * that lacks a required column or feeds one column twice cannot be normalized.
 */
import type { ColumnSpec, DatasetContract } from '../datasets/contract';
import { acceptedHeaders, type HeaderMapping, resolveHeader } from '../datasets/header-aliases';

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

/** The field a contract column is read from, with the unit its header names, if any. */
export interface HeaderField {
  field: number;
  header: string;
  unit: string | undefined;
}

export interface HeaderPlan {
  mapping: HeaderMapping;
  fieldOf: Map<ColumnSpec, HeaderField>;
  /** The field holding each numeric column's per-row unit, when the source has one. */
  unitFieldOf: Map<ColumnSpec, number>;
}

/**
 * Maps each field of `header` to the column of `contract` it feeds.
 * Throws `HeaderError` when required columns are missing or two headers feed the same column.
 */
export function planHeader(contract: DatasetContract, header: readonly string[]): HeaderPlan {
  const mapped: HeaderMapping['mapped'] = [];
  const unknown: number[] = [];
  const fieldOf = new Map<ColumnSpec, HeaderField>();
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
  if (missingRequired.length > 0) throw missingColumnsError(contract, missingRequired, mapped, unknown);
  if (duplicates.length > 0) {
    throw new HeaderError(
      contract.name,
      [],
      `${contract.name}: ${duplicates.join('; ')}; keep one of each so the values are not ambiguous`,
    );
  }
  return { mapping: { mapped, unknown, missingRequired }, fieldOf, unitFieldOf };
}

function missingColumnsError(
  contract: DatasetContract,
  missingRequired: readonly string[],
  mapped: HeaderMapping['mapped'],
  unknown: readonly number[],
): HeaderError {
  const detail = missingRequired
    .map((name) => {
      const column = contract.columns.find((c) => c.name === name);
      return `${name} (accepted headers: ${column ? acceptedHeaders(column).join(', ') : name})`;
    })
    .join('; ');
  // Only recognised headers are echoed: in a file without a header row the "headers" are patient data.
  const recognised = mapped.length > 0 ? mapped.map((m) => m.header).join(', ') : 'none';
  return new HeaderError(
    contract.name,
    missingRequired,
    `${contract.name}: the header lacks required column${missingRequired.length > 1 ? 's' : ''} ${detail}. ` +
      `Recognised headers: ${recognised}; ${unknown.length} other header${unknown.length === 1 ? '' : 's'} not recognised. ` +
      'Rename the headers or add aliases to the contract.',
  );
}
