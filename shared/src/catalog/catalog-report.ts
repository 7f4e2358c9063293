/**
 * What the catalog holds, for people: every database and table with its
 * columns (type, PII class from the contract), its partitions, and the files
 * and bytes under them. `lake catalog` prints it; data scientists see exactly
 * what Athena sees.
 */
import { parseS3Uri } from '../lake/keys';
import type { LakeDeps } from '../ports';

export interface CatalogColumnReport {
  name: string;
  type: string;
  /** The contract's PII class of the column (`none`, `token`, `generalized`, ...); absent for tables without a contract. */
  pii?: string;
  comment?: string;
  partitionKey?: true;
}

export interface CatalogTableReport {
  database: string;
  table: string;
  description?: string;
  format: string;
  location: string;
  columns: CatalogColumnReport[];
  /** Registered partitions; projected tables (the audit trail) have none registered. */
  partitions: number;
  files: number;
  bytes: number;
}

export async function catalogReport(deps: Pick<LakeDeps, 'catalog' | 'store'>): Promise<CatalogTableReport[]> {
  const tables: CatalogTableReport[] = [];
  for (const database of await deps.catalog.listDatabases()) {
    for (const table of await deps.catalog.listTables(database)) {
      const partitions = await deps.catalog.listPartitions(database, table.Name);
      let files = 0;
      let bytes = 0;
      const where = parseS3Uri(table.StorageDescriptor.Location);
      if (where !== undefined) {
        for await (const object of deps.store.list(where.bucket, where.key)) {
          files++;
          bytes += object.size;
        }
      }
      tables.push({
        database,
        table: table.Name,
        ...(table.Description !== undefined ? { description: table.Description } : {}),
        format: table.Parameters.classification ?? 'unknown',
        location: table.StorageDescriptor.Location,
        columns: [
          ...table.StorageDescriptor.Columns.map((c) => ({
            name: c.Name,
            type: c.Type,
            ...(c.Parameters?.['pulse_lake.pii'] !== undefined ? { pii: c.Parameters['pulse_lake.pii'] } : {}),
            ...(c.Comment !== undefined ? { comment: c.Comment } : {}),
          })),
          ...table.PartitionKeys.map((k) => ({
            name: k.Name,
            type: k.Type,
            partitionKey: true as const,
            ...(k.Comment !== undefined ? { comment: k.Comment } : {}),
          })),
        ],
        partitions: partitions.length,
        files,
        bytes,
      });
    }
  }
  return tables;
}
