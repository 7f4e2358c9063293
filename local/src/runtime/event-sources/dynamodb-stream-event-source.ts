/**
 * Lambda's event source mapping over a local DynamoDB stream: one sequential
 * poller per shard (shard-poller.ts), so each shard is read in order while
 * shards run in parallel, as on AWS.
 */
import type { LocalStreamTables } from '@pulse-lake/shared/adapters/local/index';
import type { RunningEventSource } from './event-source';
import { reportToStderr, sleep } from './event-source';
import type { StreamHandler } from './shard-poller';
import { ShardPoller } from './shard-poller';
import type { StreamFailureRecord } from './stream-failure-record';

export type { StreamHandler } from './shard-poller';

export interface StreamMappingOptions {
  /** Records per invocation at most (Lambda `batchSize`, default 100). */
  batchSize?: number;
  /** Lambda `MaximumBatchingWindowInSeconds`: wait this long for a fuller batch (default 0). */
  batchWindowSeconds?: number;
  /** Split a failing batch in two before retrying; splitting does not count as a retry. */
  bisectBatchOnFunctionError?: boolean;
  /** Retries of a batch before it goes to the on-failure destination (-1, the default, retries until it succeeds). */
  maximumRetryAttempts?: number;
  /** The handler answers `batchItemFailures` (ReportBatchItemFailures); otherwise only a throw fails a batch. */
  reportBatchItemFailures?: boolean;
  /** The on-failure destination (the runtime sends it to the DLQ); the shard moves on once it resolves. */
  onFailure?: (record: StreamFailureRecord) => Promise<void>;
  /** The function's ARN, for the failure record. */
  functionArn?: string;
  /** Wait before retrying a failed batch (doubled per attempt, at most 2 s; default 100 ms). */
  retryDelayMs?: number;
  /** How often an idle shard looks for records (default 50 ms). */
  pollIntervalMs?: number;
  /** The clock of the failure records' timestamps (default: the system clock). */
  now?: () => Date;
  /** Where handler and poller failures are reported (default: one line on stderr). */
  onError?: (component: string, error: unknown) => void;
}

export interface RunningStreamEventSource extends RunningEventSource {
  /** Stream records not yet finished by this mapping (records of shards another process holds do not count). */
  backlog(): Promise<number>;
}

/** Starts the mapping of `table`'s stream to `handler`; stop() ends it and gives up its shard leases. */
export function startDynamoDbStreamEventSource(
  tables: LocalStreamTables,
  table: string,
  handler: StreamHandler,
  options: StreamMappingOptions = {},
): RunningStreamEventSource {
  const mapping = {
    batchSize: options.batchSize ?? 100,
    batchWindowSeconds: options.batchWindowSeconds ?? 0,
    bisectBatchOnFunctionError: options.bisectBatchOnFunctionError ?? false,
    maximumRetryAttempts: options.maximumRetryAttempts ?? -1,
    reportBatchItemFailures: options.reportBatchItemFailures ?? false,
    functionArn: options.functionArn ?? '',
    retryDelayMs: options.retryDelayMs ?? 100,
    pollIntervalMs: options.pollIntervalMs ?? 50,
    now: options.now ?? (() => new Date()),
    onError: options.onError ?? ((component: string, error: unknown) => reportToStderr(component)(error)),
    ...(options.onFailure !== undefined ? { onFailure: options.onFailure } : {}),
  };
  const pollers = tables
    .shardIds(table)
    .map((shardId) => new ShardPoller(table, tables.openShard(table, shardId), handler, mapping));
  for (const poller of pollers) poller.start();

  const backlog = async () => (await Promise.all(pollers.map((p) => p.backlog()))).reduce((a, b) => a + b, 0);
  return {
    backlog,
    async idle({ timeoutMs }) {
      const deadline = Date.now() + timeoutMs;
      await Promise.all(pollers.map((p) => p.ready));
      for (;;) {
        if ((await backlog()) === 0 && pollers.every((p) => !p.busy)) return;
        if (Date.now() > deadline)
          throw new Error('the DynamoDB stream still had records to process when the idle timeout ran out');
        await sleep(50);
      }
    },
    busy: async () => pollers.some((p) => p.busy),
    async stop() {
      await Promise.all(pollers.map((p) => p.stop()));
    },
  };
}
