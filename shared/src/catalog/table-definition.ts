/**
 * A dataset contract as a Glue table: every column, type, comment and table
 * parameter comes from the contract (curatedColumns), none is restated here.
 * Athena reads the curated Parquet through it; the local catalog builds its
 * DuckDB views from the same shape.
 */
import type { ColumnType, DatasetContract } from '../datasets/contract';
import { curatedColumns, curatedDedupeKey } from '../datasets/contract';
import { datasetLocation, partitionLocation } from '../lake/keys';
import type { Catalog, CatalogColumn, LakeNames, PartitionInput, TableInput } from '../ports';
import { CONTRACT_VERSION_PARAMETER } from './schema-evolution';

/** The Hive type Glue and Athena use for each contract type. */
export const HIVE_TYPES: Readonly<Record<ColumnType, string>> = {
  string: 'string',
  integer: 'bigint',
  double: 'double',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
};

/** Glue's limit on a column comment. */
const MAX_COMMENT = 255;

const PARQUET_STORAGE = {
  InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  SerdeInfo: {
    SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    Parameters: { 'serialization.format': '1' },
  },
} as const;

/** The partition keys of every curated table: the layout is `<dataset>/site=<SG|US>/dt=<YYYY-MM-DD>/`. */
export const PARTITION_KEYS: readonly CatalogColumn[] = [
  { Name: 'site', Type: 'string', Comment: 'Site the data belongs to (SG | US); data residency' },
  { Name: 'dt', Type: 'string', Comment: 'Event date (UTC), YYYY-MM-DD' },
];

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The catalog database of a dataset: staging contracts are kept apart from curated tables. */
export function databaseFor(contract: DatasetContract, names: LakeNames): string {
  return contract.stage === 'staging' ? names.databases.staging : names.databases.curated;
}

/** The partitions the catalog has registered for a dataset's table; none while the table does not exist (Glue refuses to list those). */
export async function registeredPartitions(
  catalog: Catalog,
  names: LakeNames,
  contract: DatasetContract,
): Promise<PartitionInput[]> {
  const database = databaseFor(contract, names);
  if ((await catalog.getTable(database, contract.name)) === undefined) return [];
  return catalog.listPartitions(database, contract.name);
}

/** The table's columns (partition keys excluded), in Parquet file order. */
export function catalogColumns(contract: DatasetContract): CatalogColumn[] {
  return curatedColumns(contract).map((column) => ({
    Name: column.name,
    Type: HIVE_TYPES[column.type],
    Comment: truncate(
      column.unit !== undefined ? `${column.description} (${column.unit})` : column.description,
      MAX_COMMENT,
    ),
    Parameters: {
      'pulse_lake.pii': column.pii,
      ...(column.unit !== undefined ? { 'pulse_lake.unit': column.unit } : {}),
    },
  }));
}

function storageDescriptor(contract: DatasetContract, location: string): TableInput['StorageDescriptor'] {
  return {
    Columns: catalogColumns(contract),
    Location: location,
    InputFormat: PARQUET_STORAGE.InputFormat,
    OutputFormat: PARQUET_STORAGE.OutputFormat,
    SerdeInfo: {
      SerializationLibrary: PARQUET_STORAGE.SerdeInfo.SerializationLibrary,
      Parameters: { ...PARQUET_STORAGE.SerdeInfo.Parameters },
    },
    Compressed: true,
  };
}

/** The Glue TableInput of a dataset: an external Parquet table over `s3://<curated bucket>/<stage>/<dataset>/`. */
export function tableInput(contract: DatasetContract, names: LakeNames): TableInput {
  return {
    Name: contract.name,
    Description: contract.description,
    TableType: 'EXTERNAL_TABLE',
    Parameters: {
      classification: 'parquet',
      EXTERNAL: 'TRUE',
      'pulse_lake.dataset': contract.name,
      [CONTRACT_VERSION_PARAMETER]: String(contract.version),
      'pulse_lake.dedupe_key': curatedDedupeKey(contract).join(','),
      'pulse_lake.stage': contract.stage,
    },
    PartitionKeys: PARTITION_KEYS.map((key) => ({ ...key })),
    StorageDescriptor: storageDescriptor(contract, datasetLocation(names, contract.stage, contract.name)),
  };
}

/**
 * The Glue PartitionInput of one partition. The location is derived from the
 * contract and the partition values (not taken from the caller), so the catalog
 * can only point where the normalizer writes. Throws LakeKeyError on a site or
 * date that is not a valid partition value.
 */
export function partitionInput(
  contract: DatasetContract,
  names: LakeNames,
  partition: { site: string; dt: string },
): PartitionInput {
  const location = partitionLocation(names, contract.stage, contract.name, partition.site, partition.dt);
  return { Values: [partition.site, partition.dt], StorageDescriptor: storageDescriptor(contract, location) };
}
