/**
 * DynamoDB streams: the table is created (as a deploy creates it), and a
 * stream event source mapping invokes the function, sending what it gives up
 * on to the on-failure queue serverless.yml names.
 */
import type { DynamoDBBatchResponse } from 'aws-lambda';
import { startDynamoDbStreamEventSource } from '../event-sources/dynamodb-stream-event-source';
import type { EventSource } from '../service-files';
import type { LoadedFunction, Wired, WiringContext } from './wiring-context';

export async function wireStream(
  context: WiringContext,
  fn: LoadedFunction,
  source: Extract<EventSource, { kind: 'stream' }>,
): Promise<Wired> {
  const { lake, settings, parts } = context;
  // Starting the lake creates the table, as a deploy does, so `lake telemetry put` can write before any reading exists.
  await lake.tables.define({ name: source.table, keySchema: source.keySchema });
  const onFailureQueue = source.onFailureQueue;
  const batchWindowSeconds = settings.streamBatchWindowSeconds ?? source.batchWindowSeconds;
  const mapping = startDynamoDbStreamEventSource(
    lake.tables,
    source.table,
    async (event) => (await fn.invoke(event)) as DynamoDBBatchResponse | undefined,
    {
      batchSize: source.batchSize,
      batchWindowSeconds,
      bisectBatchOnFunctionError: source.bisectBatchOnFunctionError,
      maximumRetryAttempts: source.maximumRetryAttempts,
      reportBatchItemFailures: source.reportBatchItemFailures,
      functionArn: `arn:aws:lambda:${settings.region}:${settings.accountId}:function:${fn.wiring.functionName}`,
      now: () => lake.clock.now(),
      onError: context.onError,
      ...(onFailureQueue !== undefined
        ? {
            onFailure: (record) =>
              lake.queue.send(onFailureQueue, [{ id: record.requestContext.requestId, body: JSON.stringify(record) }]),
          }
        : {}),
    },
  );
  parts.streams.set(source.table, [...(parts.streams.get(source.table) ?? []), mapping]);
  parts.mappings.push(mapping);
  parts.unsubscribes.push(lake.track(mapping));
  return {
    served: `${fn.id} <- dynamodb stream ${source.table} (batch ${source.batchSize}, window ${batchWindowSeconds}s${source.bisectBatchOnFunctionError ? ', bisect' : ''}${onFailureQueue !== undefined ? `, on failure -> ${onFailureQueue} after ${source.maximumRetryAttempts} retries` : ''})`,
  };
}
