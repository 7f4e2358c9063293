/**
 * The Catalog port on the AWS Glue Data Catalog.
 */
import {
  BatchCreatePartitionCommand,
  CreateDatabaseCommand,
  CreateTableCommand,
  DeleteTableCommand,
  GetDatabasesCommand,
  GetPartitionsCommand,
  GetTableCommand,
  GetTablesCommand,
  UpdateTableCommand,
  type Column,
  type GlueClient,
  type StorageDescriptor,
  type Table,
} from '@aws-sdk/client-glue';
import type { Catalog, CatalogColumn, CatalogTable, PartitionInput, TableInput } from '../../ports';
import { DEFAULT_RETRY, errorName, withThrottlingRetry, type RetryOptions } from './retry';

/** BatchCreatePartition takes at most 100 partitions. */
export const GLUE_PARTITION_BATCH_LIMIT = 100;

/** Glue refused some partitions for a reason other than their already existing. */
export class PartitionRegistrationError extends Error {
  override name = 'PartitionRegistrationError';
  constructor(
    readonly database: string,
    readonly table: string,
    readonly failures: { values: string[]; code: string; message: string }[],
  ) {
    super(
      `Glue refused ${failures.length} partition(s) of ${database}.${table}: ${failures
        .slice(0, 3)
        .map((f) => `[${f.values.join(', ')}] ${f.code}: ${f.message}`)
        .join('; ')}`,
    );
  }
}

function toColumn(column: Column): CatalogColumn {
  return {
    Name: column.Name ?? '',
    Type: column.Type ?? 'string',
    ...(column.Comment !== undefined ? { Comment: column.Comment } : {}),
    ...(column.Parameters !== undefined ? { Parameters: column.Parameters } : {}),
  };
}

function toStorage(sd: StorageDescriptor | undefined): TableInput['StorageDescriptor'] {
  return {
    Columns: (sd?.Columns ?? []).map(toColumn),
    Location: sd?.Location ?? '',
    InputFormat: sd?.InputFormat ?? '',
    OutputFormat: sd?.OutputFormat ?? '',
    SerdeInfo: {
      SerializationLibrary: sd?.SerdeInfo?.SerializationLibrary ?? '',
      ...(sd?.SerdeInfo?.Parameters !== undefined ? { Parameters: sd.SerdeInfo.Parameters } : {}),
    },
    ...(sd?.Compressed !== undefined ? { Compressed: sd.Compressed } : {}),
  };
}

function toTable(database: string, table: Table): CatalogTable {
  return {
    DatabaseName: table.DatabaseName ?? database,
    Name: table.Name ?? '',
    ...(table.Description !== undefined ? { Description: table.Description } : {}),
    TableType: table.TableType === 'VIRTUAL_VIEW' ? 'VIRTUAL_VIEW' : 'EXTERNAL_TABLE',
    Parameters: table.Parameters ?? {},
    PartitionKeys: (table.PartitionKeys ?? []).map(toColumn),
    StorageDescriptor: toStorage(table.StorageDescriptor),
    ...(table.UpdateTime !== undefined ? { UpdateTime: table.UpdateTime.toISOString() } : {}),
  };
}

/** A listing of a database or table that is not there is empty, as getTable's answer for it is undefined. */
async function emptyWhenNotFound<T>(list: () => Promise<T[]>): Promise<T[]> {
  try {
    return await list();
  } catch (error) {
    if (errorName(error) === 'EntityNotFoundException') return [];
    throw error;
  }
}

/** Builds the Glue Catalog. Every call backs off when Glue throttles. */
export function buildGlueCatalog(client: GlueClient, retry: RetryOptions = DEFAULT_RETRY): Catalog {
  const call = <T>(fn: () => Promise<T>) => withThrottlingRetry(fn, retry);

  async function listAllTables(database: string): Promise<CatalogTable[]> {
    const tables: CatalogTable[] = [];
    let token: string | undefined;
    do {
      const page = await call(() =>
        client.send(
          new GetTablesCommand({ DatabaseName: database, ...(token !== undefined ? { NextToken: token } : {}) }),
        ),
      );
      for (const table of page.TableList ?? []) tables.push(toTable(database, table));
      token = page.NextToken;
    } while (token !== undefined && token !== '');
    return tables;
  }

  async function listAllPartitions(database: string, table: string): Promise<PartitionInput[]> {
    const partitions: PartitionInput[] = [];
    let token: string | undefined;
    do {
      const page = await call(() =>
        client.send(
          new GetPartitionsCommand({
            DatabaseName: database,
            TableName: table,
            ...(token !== undefined ? { NextToken: token } : {}),
          }),
        ),
      );
      for (const p of page.Partitions ?? []) {
        partitions.push({
          Values: p.Values ?? [],
          StorageDescriptor: toStorage(p.StorageDescriptor),
          ...(p.Parameters !== undefined ? { Parameters: p.Parameters } : {}),
        });
      }
      token = page.NextToken;
    } while (token !== undefined && token !== '');
    return partitions;
  }

  return {
    async ensureDatabase(name: string, description?: string) {
      try {
        await call(() =>
          client.send(
            new CreateDatabaseCommand({
              DatabaseInput: { Name: name, ...(description !== undefined ? { Description: description } : {}) },
            }),
          ),
        );
      } catch (error) {
        if (errorName(error) !== 'AlreadyExistsException') throw error;
      }
    },

    async upsertTable(database: string, table: TableInput) {
      try {
        await call(() => client.send(new CreateTableCommand({ DatabaseName: database, TableInput: table })));
      } catch (error) {
        if (errorName(error) !== 'AlreadyExistsException') throw error;
        await call(() => client.send(new UpdateTableCommand({ DatabaseName: database, TableInput: table })));
      }
    },

    async deleteTable(database: string, name: string) {
      try {
        await call(() => client.send(new DeleteTableCommand({ DatabaseName: database, Name: name })));
      } catch (error) {
        if (errorName(error) !== 'EntityNotFoundException') throw error;
      }
    },

    async getTable(database: string, name: string) {
      try {
        const result = await call(() => client.send(new GetTableCommand({ DatabaseName: database, Name: name })));
        return result.Table !== undefined ? toTable(database, result.Table) : undefined;
      } catch (error) {
        if (errorName(error) === 'EntityNotFoundException') return undefined;
        throw error;
      }
    },

    async listTables(database: string) {
      return emptyWhenNotFound(() => listAllTables(database));
    },

    async listDatabases() {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await call(() =>
          client.send(new GetDatabasesCommand({ ...(token !== undefined ? { NextToken: token } : {}) })),
        );
        for (const database of page.DatabaseList ?? []) if (database.Name !== undefined) names.push(database.Name);
        token = page.NextToken;
      } while (token !== undefined && token !== '');
      return names;
    },

    async addPartitions(database: string, table: string, partitions: PartitionInput[]) {
      let created = 0;
      const failures: PartitionRegistrationError['failures'] = [];
      for (let i = 0; i < partitions.length; i += GLUE_PARTITION_BATCH_LIMIT) {
        const batch = partitions.slice(i, i + GLUE_PARTITION_BATCH_LIMIT);
        const result = await call(() =>
          client.send(
            new BatchCreatePartitionCommand({ DatabaseName: database, TableName: table, PartitionInputList: batch }),
          ),
        );
        const errors = result.Errors ?? [];
        created += batch.length - errors.length;
        for (const error of errors) {
          const code = error.ErrorDetail?.ErrorCode ?? 'unknown';
          // Re-announced partitions (a retried chunk, a replay) already exist: that is success.
          if (code === 'AlreadyExistsException') continue;
          failures.push({ values: error.PartitionValues ?? [], code, message: error.ErrorDetail?.ErrorMessage ?? '' });
        }
      }
      if (failures.length > 0) throw new PartitionRegistrationError(database, table, failures);
      return { created };
    },

    async listPartitions(database: string, table: string) {
      return emptyWhenNotFound(() => listAllPartitions(database, table));
    },
  };
}
