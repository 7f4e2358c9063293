/**
 * Amazon Athena as `aws-sdk-client-mock` plays it for the contract suites: a query
 * starts at once and is polled through QUEUED and RUNNING to SUCCEEDED (or FAILED
 * with a reason); GetQueryResults answers InvalidRequestException before it
 * succeeded or for an unknown id, and pages with MaxResults and NextToken, the
 * first page starting with the header row. The fake runs no SQL: a query succeeds
 * with the result `answers` holds for its text and ExecutionParameters, and fails
 * as Athena does on a column it cannot resolve otherwise.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  InvalidRequestException,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';

/** A result the fake answers: its columns as Athena types them, its rows as text. */
export interface CannedResult {
  columns: { name: string; type: string }[];
  rows: (string | null)[][];
}

/** The key `answers` is looked up by: the SQL text and its ExecutionParameters (Athena literals). */
export const answerKey = (sql: string, parameters: string[] = []) => `${sql}\n${JSON.stringify(parameters)}`;

/** Mocks every AthenaClient of this test file, answering from `answers`. */
export function fakeAthena(answers: Map<string, CannedResult>, outputLocation: string): AthenaClient {
  const mock = mockClient(AthenaClient);
  const executions = new Map<string, { polls: number; result: CannedResult | undefined; submittedAt: Date }>();
  const invalid = (message: string) => new InvalidRequestException({ message, $metadata: { httpStatusCode: 400 } });
  const stateOf = (execution: { polls: number; result: CannedResult | undefined }) =>
    execution.polls < 1 ? 'QUEUED' : execution.polls < 2 ? 'RUNNING' : execution.result ? 'SUCCEEDED' : 'FAILED';

  mock.on(StartQueryExecutionCommand).callsFake(async (input) => {
    const id = `q-${executions.size + 1}`;
    const result = answers.get(answerKey(input.QueryString ?? '', input.ExecutionParameters));
    executions.set(id, { polls: 0, result, submittedAt: new Date() });
    return { QueryExecutionId: id };
  });
  mock.on(GetQueryExecutionCommand).callsFake(async (input) => {
    const id = input.QueryExecutionId ?? '';
    const execution = executions.get(id);
    if (execution === undefined) throw invalid(`QueryExecution ${id} was not found`);
    const state = stateOf(execution);
    execution.polls += 1;
    const done = state === 'SUCCEEDED' || state === 'FAILED';
    return {
      QueryExecution: {
        QueryExecutionId: id,
        Status: {
          State: state,
          SubmissionDateTime: execution.submittedAt,
          ...(done ? { CompletionDateTime: new Date() } : {}),
          ...(state === 'FAILED' ? { StateChangeReason: 'COLUMN_NOT_FOUND: line 1:8: Column cannot be resolved' } : {}),
        },
        ...(state === 'SUCCEEDED' ? { ResultConfiguration: { OutputLocation: `${outputLocation}${id}.csv` } } : {}),
      },
    };
  });
  mock.on(GetQueryResultsCommand).callsFake(async (input) => {
    const id = input.QueryExecutionId ?? '';
    const execution = executions.get(id);
    if (execution === undefined) throw invalid(`QueryExecution ${id} was not found`);
    if (execution.result === undefined || execution.polls < 3)
      throw invalid(`Query has not yet finished. Current state: ${stateOf(execution)}`);
    const { columns, rows } = execution.result;
    const all = [columns.map((c) => c.name), ...rows];
    const from = Number(input.NextToken ?? '0');
    const to = from + (input.MaxResults ?? 1000);
    return {
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: columns.map((c) => ({ Name: c.name, Type: c.type })) },
        Rows: all.slice(from, to).map((row) => ({ Data: row.map((v) => (v === null ? {} : { VarCharValue: v })) })),
      },
      ...(to < all.length ? { NextToken: String(to) } : {}),
    };
  });
  return new AthenaClient({
    region: 'ap-southeast-1',
    credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' },
  });
}
