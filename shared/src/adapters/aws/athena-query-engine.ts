/**
 * The QueryEngine port on Amazon Athena.
 */
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type AthenaClient,
} from '@aws-sdk/client-athena';
import type {
  QueryEngine,
  QueryParameter,
  QueryResultPage,
  QueryState,
  QueryStatus,
  StartQueryOptions,
} from '../../ports';
import { DEFAULT_RETRY, withThrottlingRetry, type RetryOptions } from './retry';

/** GetQueryResults returns at most 1,000 rows a page. */
export const ATHENA_MAX_PAGE = 1000;

export interface AthenaEngineConfig {
  workGroup: string;
  /** `s3://bucket/prefix/` for results, when the workgroup does not enforce its own. */
  outputLocation?: string;
  retry?: RetryOptions;
}

/**
 * Athena's ExecutionParameters are SQL literals as text: strings are quoted with
 * embedded quotes doubled, so a value can never end the literal and become SQL.
 */
export function toAthenaLiteral(value: QueryParameter): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`query parameter ${value} is not a finite number`);
    return String(value);
  }
  return `'${value.replace(/'/g, "''")}'`;
}

const STATES: ReadonlySet<string> = new Set<QueryState>(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']);

/** Builds the Athena QueryEngine. Every call backs off on TooManyRequestsException. */
export function buildAthenaQueryEngine(client: AthenaClient, config: AthenaEngineConfig): QueryEngine {
  const call = <T>(fn: () => Promise<T>) => withThrottlingRetry(fn, config.retry ?? DEFAULT_RETRY);

  return {
    dialect: 'athena',
    async start(sql: string, options: StartQueryOptions = {}) {
      const parameters = options.parameters ?? [];
      const result = await call(() =>
        client.send(
          new StartQueryExecutionCommand({
            QueryString: sql,
            WorkGroup: config.workGroup,
            ...(options.database !== undefined ? { QueryExecutionContext: { Database: options.database } } : {}),
            // Athena rejects an empty ExecutionParameters list.
            ...(parameters.length > 0 ? { ExecutionParameters: parameters.map(toAthenaLiteral) } : {}),
            ...(config.outputLocation !== undefined
              ? { ResultConfiguration: { OutputLocation: config.outputLocation } }
              : {}),
          }),
        ),
      );
      if (result.QueryExecutionId === undefined)
        throw new Error('Athena started a query but returned no QueryExecutionId');
      return result.QueryExecutionId;
    },

    async status(id: string): Promise<QueryStatus> {
      const result = await call(() => client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })));
      const execution = result.QueryExecution;
      const rawState = execution?.Status?.State ?? 'QUEUED';
      const state = (STATES.has(rawState) ? rawState : 'QUEUED') as QueryState;
      const status = execution?.Status;
      const stats = execution?.Statistics;
      return {
        id,
        state,
        submittedAt: status?.SubmissionDateTime ?? new Date(0),
        ...(status?.StateChangeReason !== undefined ? { reason: status.StateChangeReason } : {}),
        ...(status?.CompletionDateTime !== undefined ? { completedAt: status.CompletionDateTime } : {}),
        ...(stats?.DataScannedInBytes !== undefined ? { bytesScanned: stats.DataScannedInBytes } : {}),
        ...(execution?.ResultConfiguration?.OutputLocation !== undefined
          ? { outputLocation: execution.ResultConfiguration.OutputLocation }
          : {}),
      };
    },

    async results(id: string, options: { pageSize?: number; nextToken?: string } = {}): Promise<QueryResultPage> {
      // Pages pass through as Athena sends them: the first one starts with the header row, and the
      // core (query/run.ts dataRowsOfFirstPage) asks for one row more and drops it, for every engine alike.
      const maxResults = Math.min(options.pageSize ?? ATHENA_MAX_PAGE, ATHENA_MAX_PAGE);
      const result = await call(() =>
        client.send(
          new GetQueryResultsCommand({
            QueryExecutionId: id,
            MaxResults: maxResults,
            ...(options.nextToken !== undefined ? { NextToken: options.nextToken } : {}),
          }),
        ),
      );
      const columns = (result.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({
        name: c.Name ?? '',
        type: c.Type ?? 'varchar',
      }));
      const rows = (result.ResultSet?.Rows ?? []).map((row) => (row.Data ?? []).map((d) => d.VarCharValue ?? null));
      return { columns, rows, ...(result.NextToken !== undefined ? { nextToken: result.NextToken } : {}) };
    },
  };
}
