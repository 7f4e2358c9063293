/**
 * SQS queues: the queue gets its serverless.yml attributes (visibility timeout,
 * redrive policy), and an SQS event source mapping invokes the function, here
 * or in worker processes (warm containers) when startLake asks for them.
 */
import type { SQSBatchResponse } from 'aws-lambda';
import { startSqsEventSource } from '../event-sources/sqs-event-source';
import { startFunctionWorkers } from '../function-workers';
import type { EventSource } from '../service-files';
import type { LoadedFunction, Wired, WiringContext } from './wiring-context';

export async function wireSqs(
  context: WiringContext,
  fn: LoadedFunction,
  source: Extract<EventSource, { kind: 'sqs' }>,
): Promise<Wired> {
  const { lake, settings, run, parts } = context;
  const { workers } = settings;
  const pool =
    workers > 0
      ? startFunctionWorkers(
          lake,
          {
            home: settings.home,
            stage: settings.stage,
            region: settings.region,
            accountId: settings.accountId,
            functionName: fn.wiring.functionName,
            handlerFile: fn.wiring.handlerFile,
            timeoutSeconds: fn.wiring.timeoutSeconds,
            memorySize: fn.wiring.memorySize,
          },
          workers,
        )
      : undefined;
  if (pool !== undefined) parts.pools.push(pool);
  // Messages a dead run held would otherwise wait out their visibility timeout.
  if (run.deadRuns > 0 && run.liveRuns === 0) parts.recovered += await lake.queue.releaseInFlight(source.queueName);
  lake.queue.setAttributes(source.queueName, {
    visibilityTimeoutSeconds: source.visibilityTimeoutSeconds ?? 30,
    ...(source.redrive
      ? {
          redrivePolicy: {
            maxReceiveCount: source.redrive.maxReceiveCount,
            deadLetterQueue: source.redrive.deadLetterQueue,
          },
        }
      : {}),
  });
  const mapping = startSqsEventSource(
    lake.queue,
    source.queueName,
    async (event) => {
      const result = pool !== undefined ? await pool.invoke(event) : await fn.invoke(event);
      // Without ReportBatchItemFailures, Lambda ignores the response: a batch that did not throw succeeded whole.
      return source.reportBatchItemFailures ? (result as SQSBatchResponse | undefined) : undefined;
    },
    {
      batchSize: source.batchSize,
      concurrency: pool !== undefined ? workers : settings.concurrency,
      ...(settings.retryAfterSeconds !== undefined ? { retryAfterSeconds: settings.retryAfterSeconds } : {}),
      onError: (error) => context.onError(`sqs ${source.queueName}`, error),
    },
  );
  parts.mappings.push(mapping);
  parts.unsubscribes.push(lake.track(mapping));
  return {
    served: `${fn.id} <- sqs ${source.queueName} (batch ${source.batchSize}${source.redrive ? `, DLQ ${source.redrive.deadLetterQueue} after ${source.redrive.maxReceiveCount} receives` : ''}${pool !== undefined ? `, ${workers} worker process${workers === 1 ? '' : 'es'}` : ''})`,
  };
}
