import {
  AthenaClient,
  AthenaServiceException,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { GetParameterCommand, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { buildAthenaQueryEngine, toAthenaLiteral } from '../../../../src/adapters/aws/athena-query-engine';
import { MissingEnvironmentError, readLakeEnv } from '../../../../src/adapters/aws/env';
import type { RetryOptions } from '../../../../src/adapters/aws/retry';
import { buildSsmKeyStore, PseudonymizationKeyError } from '../../../../src/adapters/aws/ssm-key-store';

const athena = mockClient(AthenaClient);
const ssm = mockClient(SSMClient);

function recordingRetry(): RetryOptions & { delays: number[] } {
  const delays: number[] = [];
  return { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000, delays, sleep: async (ms) => void delays.push(ms) };
}

describe('Athena query engine', () => {
  beforeEach(() => athena.reset());

  it('quotes string parameters as SQL literals, doubling embedded quotes', () => {
    expect(toAthenaLiteral("O'Brien'); DROP TABLE x; --")).toBe("'O''Brien''); DROP TABLE x; --'");
    expect(toAthenaLiteral(42)).toBe('42');
    expect(toAthenaLiteral(true)).toBe('TRUE');
    expect(toAthenaLiteral(null)).toBe('NULL');
    expect(() => toAthenaLiteral(Number.NaN)).toThrow(RangeError);
  });

  it('starts a query in the workgroup with bound execution parameters and the database', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    const engine = buildAthenaQueryEngine(new AthenaClient({ region: 'ap-southeast-1' }), {
      workGroup: 'pulse-lake-dev',
      retry: recordingRetry(),
    });

    const id = await engine.start('SELECT * FROM vitals WHERE site = ? AND heart_rate_bpm > ?', {
      database: 'pulse_lake_dev_curated',
      parameters: ['SG', 100],
    });

    expect(id).toBe('q-1');
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryString: 'SELECT * FROM vitals WHERE site = ? AND heart_rate_bpm > ?',
      WorkGroup: 'pulse-lake-dev',
      QueryExecutionContext: { Database: 'pulse_lake_dev_curated' },
      ExecutionParameters: ["'SG'", '100'],
    });
  });

  it('omits ExecutionParameters when there are none (Athena rejects an empty list)', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
    const engine = buildAthenaQueryEngine(new AthenaClient({ region: 'ap-southeast-1' }), {
      workGroup: 'wg',
      retry: recordingRetry(),
    });

    await engine.start('SELECT 1');

    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).not.toHaveProperty('ExecutionParameters');
  });

  it('backs off on TooManyRequestsException and then succeeds', async () => {
    const throttled = new AthenaServiceException({
      name: 'TooManyRequestsException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Rate exceeded',
    });
    athena
      .on(StartQueryExecutionCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves({ QueryExecutionId: 'q-3' });
    const retry = recordingRetry();
    const engine = buildAthenaQueryEngine(new AthenaClient({ region: 'ap-southeast-1' }), { workGroup: 'wg', retry });

    await expect(engine.start('SELECT 1')).resolves.toBe('q-3');
    expect(retry.delays).toHaveLength(2);
    expect(retry.delays[1] ?? 0).toBeGreaterThanOrEqual(100);
  });

  it('polls an execution from QUEUED through RUNNING to SUCCEEDED, backing off when a poll is throttled', async () => {
    // Prepare
    const throttled = new AthenaServiceException({
      name: 'TooManyRequestsException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Rate exceeded',
    });
    const at = (State: 'QUEUED' | 'RUNNING' | 'SUCCEEDED') => ({
      QueryExecution: { Status: { State, SubmissionDateTime: new Date('2024-05-01T00:00:00Z') } },
    });
    athena
      .on(GetQueryExecutionCommand, { QueryExecutionId: 'q-6' })
      .resolvesOnce(at('QUEUED'))
      .rejectsOnce(throttled)
      .resolvesOnce(at('RUNNING'))
      .resolves(at('SUCCEEDED'));
    const retry = recordingRetry();
    const engine = buildAthenaQueryEngine(new AthenaClient({ region: 'ap-southeast-1' }), { workGroup: 'wg', retry });

    // Act
    const states: string[] = [];
    for (let poll = 0; poll < 3; poll += 1) states.push((await engine.status('q-6')).state);

    // Assess
    expect(states).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(4);
    expect(retry.delays).toHaveLength(1);
  });

  it('gives up with the throttling error once every attempt was throttled', async () => {
    const throttled = new AthenaServiceException({
      name: 'TooManyRequestsException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Rate exceeded',
    });
    athena.on(GetQueryResultsCommand).rejects(throttled);
    const engine = buildAthenaQueryEngine(new AthenaClient({ region: 'ap-southeast-1' }), {
      workGroup: 'wg',
      retry: recordingRetry(),
    });

    await expect(engine.results('q-7')).rejects.toMatchObject({ name: 'TooManyRequestsException' });
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(4);
  });

  it('maps a failed execution to its state, reason, and bytes scanned', async () => {
    const submitted = new Date('2024-05-01T00:00:00Z');
    const completed = new Date('2024-05-01T00:00:05Z');
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: 'FAILED',
          StateChangeReason: 'COLUMN_NOT_FOUND: line 1:8',
          SubmissionDateTime: submitted,
          CompletionDateTime: completed,
        },
        Statistics: { DataScannedInBytes: 1024 },
        ResultConfiguration: { OutputLocation: 's3://results/q-4.csv' },
      },
    });
    const engine = buildAthenaQueryEngine(new AthenaClient({ region: 'ap-southeast-1' }), {
      workGroup: 'wg',
      retry: recordingRetry(),
    });

    const status = await engine.status('q-4');

    expect(status).toEqual({
      id: 'q-4',
      state: 'FAILED',
      reason: 'COLUMN_NOT_FOUND: line 1:8',
      submittedAt: submitted,
      completedAt: completed,
      bytesScanned: 1024,
      outputLocation: 's3://results/q-4.csv',
    });
  });

  it('passes the first page on with its header row, asks for the page size asked, and passes the next token on', async () => {
    const metadata = {
      ColumnInfo: [
        { Name: 'site', Type: 'varchar' },
        { Name: 'n', Type: 'bigint' },
      ],
    };
    athena.on(GetQueryResultsCommand, { NextToken: undefined }).resolves({
      ResultSet: {
        ResultSetMetadata: metadata,
        Rows: [
          { Data: [{ VarCharValue: 'site' }, { VarCharValue: 'n' }] },
          { Data: [{ VarCharValue: 'SG' }, { VarCharValue: '12' }] },
        ],
      },
      NextToken: 'page-2',
    });
    athena.on(GetQueryResultsCommand, { NextToken: 'page-2' }).resolves({
      ResultSet: { ResultSetMetadata: metadata, Rows: [{ Data: [{ VarCharValue: 'US' }, {}] }] },
    });
    const engine = buildAthenaQueryEngine(new AthenaClient({ region: 'ap-southeast-1' }), {
      workGroup: 'wg',
      retry: recordingRetry(),
    });

    const first = await engine.results('q-5', { pageSize: 2 });
    const second = await engine.results('q-5', { pageSize: 2, nextToken: first.nextToken ?? '' });

    expect(first).toEqual({
      columns: [
        { name: 'site', type: 'varchar' },
        { name: 'n', type: 'bigint' },
      ],
      rows: [
        ['site', 'n'],
        ['SG', '12'],
      ],
      nextToken: 'page-2',
    });
    expect(second.rows).toEqual([['US', null]]);
    expect(athena.commandCalls(GetQueryResultsCommand)[0]?.args[0].input.MaxResults).toBe(2);
  });
});

describe('SSM key store', () => {
  beforeEach(() => ssm.reset());

  it('reads the SecureString with decryption once and caches the key', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'ab'.repeat(32) } });
    const keys = buildSsmKeyStore(new SSMClient({ region: 'ap-southeast-1' }), '/pulse-lake/dev/pseudonymization-key');

    const first = await keys.pseudonymizationKey();
    const second = await keys.pseudonymizationKey();

    expect(first).toEqual(Buffer.alloc(32, 0xab));
    expect(second).toBe(first);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/pulse-lake/dev/pseudonymization-key',
      WithDecryption: true,
    });
  });

  it('refuses a key shorter than 32 bytes without echoing it', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'c2hvcnQ=' } });
    const keys = buildSsmKeyStore(new SSMClient({ region: 'ap-southeast-1' }), '/k');

    const loading = keys.pseudonymizationKey();

    await expect(loading).rejects.toBeInstanceOf(PseudonymizationKeyError);
    await expect(loading).rejects.not.toThrow('c2hvcnQ=');
  });

  it('explains how to create a missing parameter, and tries again next time', async () => {
    ssm
      .on(GetParameterCommand)
      .rejectsOnce(
        new SSMServiceException({
          name: 'ParameterNotFound',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'nf',
        }),
      )
      .resolves({ Parameter: { Value: Buffer.alloc(32, 7).toString('base64') } });
    const keys = buildSsmKeyStore(new SSMClient({ region: 'ap-southeast-1' }), '/k');

    await expect(keys.pseudonymizationKey()).rejects.toThrow('create it as a SecureString');
    await expect(keys.pseudonymizationKey()).resolves.toEqual(Buffer.alloc(32, 7));
  });
});

describe('readLakeEnv', () => {
  const full = {
    STAGE: 'dev',
    AWS_REGION: 'ap-southeast-1',
    ATHENA_WORKGROUP: 'pulse-lake-dev',
    PSEUDONYMIZATION_KEY_PARAMETER: '/pulse-lake/dev/key',
  };

  it('reads the four variables, and finds the connector files in the task root unless CONNECTORS_DIR says otherwise', () => {
    expect(readLakeEnv({ ...full, LAMBDA_TASK_ROOT: '/var/task' })).toEqual({
      stage: 'dev',
      region: 'ap-southeast-1',
      athenaWorkGroup: 'pulse-lake-dev',
      pseudonymizationKeyParameter: '/pulse-lake/dev/key',
      connectorsDir: '/var/task/connectors',
    });
    expect(readLakeEnv({ ...full, CONNECTORS_DIR: '/opt/connectors' }).connectorsDir).toBe('/opt/connectors');
  });

  it('names the variable that is missing', () => {
    const { ATHENA_WORKGROUP: _omitted, ...partial } = full;
    expect(() => readLakeEnv(partial)).toThrow(MissingEnvironmentError);
    expect(() => readLakeEnv(partial)).toThrow('ATHENA_WORKGROUP');
  });
});
