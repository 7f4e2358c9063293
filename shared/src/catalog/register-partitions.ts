/**
 * Keeps the catalog current when a normalizer announces partitions: the
 * database exists, the table matches the dataset's contract, and the announced
 * partitions are registered. Idempotent, so a redelivered event changes nothing.
 */
import type { DatasetContract } from '../datasets/contract';
import { getContract } from '../datasets/registry';
import type { PartitionsWrittenDetail } from '../lake/messages';
import type { CatalogTable, LakeDeps, TableInput } from '../ports';
import { assertEvolvable } from './schema-evolution';
import { databaseFor, partitionInput, tableInput } from './table-definition';

export interface RegisteredPartitions {
  database: string;
  table: string;
  /** Partitions that were new to the catalog. */
  created: number;
}

const DATABASE_DESCRIPTION = {
  curated: 'Pulse Lake curated datasets: de-identified, validated, partitioned by site and dt',
  staging: 'Pulse Lake staging datasets: contracts being tried out before they become curated',
} as const;

/** The parts of a table the contract decides; Glue adds its own fields and parameters, which do not count as drift. */
function contractView(table: TableInput, parameterKeys: readonly string[]): unknown {
  const parameters: Record<string, string | undefined> = {};
  for (const key of [...parameterKeys].sort()) parameters[key] = table.Parameters[key];
  const sd = table.StorageDescriptor;
  return {
    Name: table.Name,
    Description: table.Description,
    TableType: table.TableType,
    Parameters: parameters,
    PartitionKeys: table.PartitionKeys,
    StorageDescriptor: {
      Columns: sd.Columns,
      Location: sd.Location,
      InputFormat: sd.InputFormat,
      OutputFormat: sd.OutputFormat,
      SerdeInfo: sd.SerdeInfo,
    },
  };
}

/** True when the catalog's table differs from what the contract says (so it must be updated). */
export function tableDiffers(existing: CatalogTable | undefined, desired: TableInput): boolean {
  if (existing === undefined) return true;
  const keys = new Set([
    ...Object.keys(desired.Parameters),
    ...Object.keys(existing.Parameters ?? {}).filter((k) => k.startsWith('pulse_lake.')),
  ]);
  return (
    JSON.stringify(contractView({ ...existing, Parameters: existing.Parameters ?? {} }, [...keys])) !==
    JSON.stringify(contractView(desired, [...keys]))
  );
}

/**
 * Registers the partitions of a `Partitions Written` event: ensures the database,
 * creates or updates the table from the contract (only when it drifted, so Glue
 * does not pile up table versions), then adds the partitions. Throws
 * UnknownDatasetError for a dataset without a contract, LakeKeyError for an
 * invalid site or date, and SchemaEvolutionError for an incompatible contract
 * change without a new version (the catalog is then left as it was).
 * `contractOf` looks contracts up (the registry; a test may pass a trial contract).
 */
export async function registerPartitions(
  deps: Pick<LakeDeps, 'catalog' | 'names'>,
  detail: PartitionsWrittenDetail,
  contractOf: (dataset: string) => DatasetContract = getContract,
): Promise<RegisteredPartitions> {
  const { catalog, names } = deps;
  const contract = contractOf(detail.dataset);
  const database = databaseFor(contract, names);
  const table = tableInput(contract, names);
  // Validated before the catalog is touched, so a bad event changes nothing.
  const byValues = new Map<string, ReturnType<typeof partitionInput>>();
  for (const p of detail.partitions) byValues.set(`${p.site}/${p.dt}`, partitionInput(contract, names, p));

  await catalog.ensureDatabase(database, DATABASE_DESCRIPTION[contract.stage]);
  const existing = await catalog.getTable(database, table.Name);
  if (tableDiffers(existing, table)) {
    assertEvolvable(existing, table);
    await catalog.upsertTable(database, table);
  }
  const { created } =
    byValues.size === 0 ? { created: 0 } : await catalog.addPartitions(database, table.Name, [...byValues.values()]);
  return { database, table: table.Name, created };
}
