import {
  BatchCreatePartitionCommand,
  CreateDatabaseCommand,
  CreateTableCommand,
  DeleteTableCommand,
  GetPartitionsCommand,
  GetTableCommand,
  GlueClient,
  GlueServiceException,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { buildGlueCatalog, PartitionRegistrationError } from '../../../../src/adapters/aws/glue-catalog';
import type { RetryOptions } from '../../../../src/adapters/aws/retry';
import type { PartitionInput, TableInput } from '../../../../src/ports';

const glue = mockClient(GlueClient);
const retry: RetryOptions = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined };

function glueError(name: string): GlueServiceException {
  return new GlueServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: name });
}

const storage: TableInput['StorageDescriptor'] = {
  Columns: [{ Name: 'heart_rate_bpm', Type: 'int' }],
  Location: 's3://pulse-lake-dev-curated/curated/vitals/',
  InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
};
const table: TableInput = {
  Name: 'vitals',
  TableType: 'EXTERNAL_TABLE',
  Parameters: { classification: 'parquet' },
  PartitionKeys: [
    { Name: 'site', Type: 'string' },
    { Name: 'dt', Type: 'string' },
  ],
  StorageDescriptor: storage,
};
const partition = (i: number): PartitionInput => ({
  Values: ['SG', `2024-01-${String((i % 28) + 1).padStart(2, '0')}-${i}`],
  StorageDescriptor: { ...storage, Location: `${storage.Location}site=SG/dt=${i}/` },
});

describe('Glue catalog', () => {
  beforeEach(() => glue.reset());

  it('treats an existing database as ensured', async () => {
    glue.on(CreateDatabaseCommand).rejects(glueError('AlreadyExistsException'));
    const catalog = buildGlueCatalog(new GlueClient({ region: 'ap-southeast-1' }), retry);

    await expect(catalog.ensureDatabase('pulse_lake_dev_curated')).resolves.toBeUndefined();
  });

  it('updates a table that already exists instead of failing', async () => {
    glue.on(CreateTableCommand).rejects(glueError('AlreadyExistsException'));
    glue.on(UpdateTableCommand).resolves({});
    const catalog = buildGlueCatalog(new GlueClient({ region: 'ap-southeast-1' }), retry);

    await catalog.upsertTable('db', table);

    expect(glue.commandCalls(UpdateTableCommand)[0]?.args[0].input).toEqual({ DatabaseName: 'db', TableInput: table });
  });

  it('drops a table by name, and takes one that is already gone as dropped', async () => {
    glue.on(DeleteTableCommand).rejectsOnce(glueError('EntityNotFoundException')).resolves({});
    const catalog = buildGlueCatalog(new GlueClient({ region: 'ap-southeast-1' }), retry);

    await expect(catalog.deleteTable('pulse_lake_dev_staging', 'gait')).resolves.toBeUndefined();
    await catalog.deleteTable('pulse_lake_dev_staging', 'gait');

    expect(glue.commandCalls(DeleteTableCommand).map((c) => c.args[0].input)).toEqual([
      { DatabaseName: 'pulse_lake_dev_staging', Name: 'gait' },
      { DatabaseName: 'pulse_lake_dev_staging', Name: 'gait' },
    ]);
  });

  it('returns undefined for a table Glue does not know', async () => {
    glue.on(GetTableCommand).rejects(glueError('EntityNotFoundException'));
    const catalog = buildGlueCatalog(new GlueClient({ region: 'ap-southeast-1' }), retry);

    await expect(catalog.getTable('db', 'nope')).resolves.toBeUndefined();
  });

  it('creates partitions 100 at a time and counts already existing ones as not new', async () => {
    glue
      .on(BatchCreatePartitionCommand)
      .resolvesOnce({
        Errors: [
          {
            PartitionValues: ['SG', 'x'],
            ErrorDetail: { ErrorCode: 'AlreadyExistsException', ErrorMessage: 'exists' },
          },
        ],
      })
      .resolves({ Errors: [] });
    const catalog = buildGlueCatalog(new GlueClient({ region: 'ap-southeast-1' }), retry);

    const result = await catalog.addPartitions(
      'db',
      'vitals',
      Array.from({ length: 250 }, (_, i) => partition(i)),
    );

    expect(
      glue.commandCalls(BatchCreatePartitionCommand).map((c) => c.args[0].input.PartitionInputList?.length),
    ).toEqual([100, 100, 50]);
    expect(result).toEqual({ created: 249 });
  });

  it('throws PartitionRegistrationError for any other partition error', async () => {
    glue.on(BatchCreatePartitionCommand).resolves({
      Errors: [
        {
          PartitionValues: ['SG', '2024-01-01'],
          ErrorDetail: { ErrorCode: 'InvalidInputException', ErrorMessage: 'bad location' },
        },
      ],
    });
    const catalog = buildGlueCatalog(new GlueClient({ region: 'ap-southeast-1' }), retry);

    await expect(catalog.addPartitions('db', 'vitals', [partition(0)])).rejects.toThrow(PartitionRegistrationError);
  });

  it('backs off and retries when Glue throttles', async () => {
    glue.on(BatchCreatePartitionCommand).rejectsOnce(glueError('ThrottlingException')).resolves({ Errors: [] });
    const catalog = buildGlueCatalog(new GlueClient({ region: 'ap-southeast-1' }), retry);

    await expect(catalog.addPartitions('db', 'vitals', [partition(0)])).resolves.toEqual({ created: 1 });
    expect(glue.commandCalls(BatchCreatePartitionCommand)).toHaveLength(2);
  });

  it('pages through GetPartitions', async () => {
    glue
      .on(GetPartitionsCommand, { NextToken: undefined })
      .resolves({ Partitions: [{ Values: ['SG', 'a'], StorageDescriptor: storage }], NextToken: 'n' });
    glue
      .on(GetPartitionsCommand, { NextToken: 'n' })
      .resolves({ Partitions: [{ Values: ['US', 'b'], StorageDescriptor: storage }] });
    const catalog = buildGlueCatalog(new GlueClient({ region: 'ap-southeast-1' }), retry);

    const partitions = await catalog.listPartitions('db', 'vitals');

    expect(partitions.map((p) => p.Values)).toEqual([
      ['SG', 'a'],
      ['US', 'b'],
    ]);
    expect(partitions[0]?.StorageDescriptor.Location).toBe(storage.Location);
  });
});
