/**
 * Schema evolution of a curated table: what the catalog says now against what
 * the contract says. Adding a column is compatible (older Parquet files read it
 * as null), and so is widening a type (int to bigint, float to double);
 * removing a column or changing its type otherwise would make older files
 * unreadable or wrong, so it is refused unless the contract declares a new
 * version, a deliberate break that whoever bumps it must plan for.
 */
import type { CatalogTable, TableInput } from '../ports';

/** Types a column may change to without breaking the files already written. */
const WIDENINGS: Readonly<Record<string, readonly string[]>> = {
  int: ['bigint'],
  smallint: ['int', 'bigint'],
  tinyint: ['smallint', 'int', 'bigint'],
  float: ['double'],
};

export const CONTRACT_VERSION_PARAMETER = 'pulse_lake.contract_version';

/** An incompatible contract change without a new version: refused before the catalog changes. */
export class SchemaEvolutionError extends Error {
  override name = 'SchemaEvolutionError';
  constructor(
    readonly table: string,
    readonly problems: string[],
  ) {
    super(
      `the ${table} contract changes its table incompatibly: ${problems.join('; ')}. Files already written would no longer read correctly; ` +
        'make the change compatible (add a nullable column, widen a type), or declare a new contract version and plan the rewrite of the older files',
    );
  }
}

/** The incompatible differences between the catalog's table and the desired one (empty when compatible). */
export function incompatibleChanges(existing: CatalogTable, desired: TableInput): string[] {
  const problems: string[] = [];
  const wanted = new Map(desired.StorageDescriptor.Columns.map((c) => [c.Name, c.Type.toLowerCase()]));
  for (const column of existing.StorageDescriptor.Columns) {
    const type = wanted.get(column.Name);
    const was = column.Type.toLowerCase();
    if (type === undefined) problems.push(`column ${column.Name} is removed`);
    else if (type !== was && !(WIDENINGS[was] ?? []).includes(type))
      problems.push(`column ${column.Name} changes type from ${was} to ${type}`);
  }
  const keys = (t: TableInput) => t.PartitionKeys.map((k) => `${k.Name}:${k.Type}`).join(',');
  if (keys(existing) !== keys(desired))
    problems.push(`partition keys change from (${keys(existing)}) to (${keys(desired)})`);
  return problems;
}

/**
 * Throws SchemaEvolutionError when replacing `existing` by `desired` would
 * break the files already written and the contract version did not change.
 */
export function assertEvolvable(existing: CatalogTable | undefined, desired: TableInput): void {
  if (existing === undefined) return;
  const problems = incompatibleChanges(existing, desired);
  const sameVersion =
    existing.Parameters?.[CONTRACT_VERSION_PARAMETER] === desired.Parameters[CONTRACT_VERSION_PARAMETER];
  if (problems.length > 0 && sameVersion) throw new SchemaEvolutionError(desired.Name, problems);
}
