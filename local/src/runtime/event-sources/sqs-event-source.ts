/**
 * Lambda's event source mapping over a local SQS queue: polls the queue,
 * invokes the handler with batches of up to `batchSize` messages (at most
 * `concurrency` batches at once), deletes what succeeded by the
 * ReportBatchItemFailures rules, and leaves the rest to the queue's visibility
 * timeout and redrive policy, as Lambda leaves them to SQS.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { LocalQueue, ReceivedMessage } from '@pulse-lake/shared/adapters/local/index';
import type { RunningEventSource } from './event-source';
import { failedIndexes, reportToStderr } from './event-source';

/** The handler a queue's event source mapping invokes: a Lambda SQS handler. */
export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

export interface SqsEventSourceOptions {
  /** Messages per invocation (Lambda `batchSize`, default 10). */
  batchSize?: number;
  /**
   * After a failed invocation, its failed messages become visible again after this
   * many seconds instead of when their visibility timeout ends (what a handler calling
   * ChangeMessageVisibility on failure gets). For one-shot runs that should not wait
   * minutes on a transient failure; a slow success still has the whole timeout.
   */
  retryAfterSeconds?: number;
  /** Batches run at once (Lambda's maximum concurrency, default 2). */
  concurrency?: number;
  /** How often an idle mapping looks for messages (default 100 ms). */
  pollIntervalMs?: number;
  /** Where handler failures are reported (default: one line on stderr). */
  onError?: (error: unknown) => void;
}

/** The SQS event record Lambda builds from a received message. */
function sqsRecord(message: ReceivedMessage, queueArn: string): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: { ...message.attributes },
    messageAttributes: {},
    md5OfBody: message.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    // arn:aws:sqs:<region>:<account>:<name>
    awsRegion: queueArn.split(':')[3] ?? '',
  };
}

/** Starts polling `queueName` for `handler`; stop() ends it. */
export function startSqsEventSource(
  queue: LocalQueue,
  queueName: string,
  handler: SqsBatchHandler,
  options: SqsEventSourceOptions = {},
): RunningEventSource {
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 10, 10_000));
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const onError = options.onError ?? reportToStderr(`sqs ${queueName}`);
  const queueArn = queue.arn(queueName);
  const running = new Set<Promise<void>>();
  let stopped = false;
  let wake: () => void = () => undefined;
  const stopListening = queue.onMessages(queueName, () => wake());

  const retrySooner = async (records: SQSRecord[]) => {
    if (options.retryAfterSeconds === undefined) return;
    for (const record of records)
      await queue.shortenVisibility(queueName, record.receiptHandle, options.retryAfterSeconds);
  };

  async function invoke(batch: SQSRecord[]): Promise<void> {
    let response: SQSBatchResponse | void;
    try {
      response = await handler({ Records: batch });
    } catch (error) {
      // A thrown handler fails the whole batch: every message reappears when its visibility timeout ends.
      onError(error);
      await retrySooner(batch);
      return;
    }
    const failed = new Set(
      failedIndexes(
        response,
        batch.map((r) => r.messageId),
      ),
    );
    for (const [i, record] of batch.entries())
      if (!failed.has(i)) await queue.deleteMessage(queueName, record.receiptHandle);
    await retrySooner(batch.filter((_, i) => failed.has(i)));
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      try {
        while (!stopped && running.size < concurrency) {
          const batch = await queue.receive(queueName, batchSize);
          if (batch.length === 0) break;
          const task: Promise<void> = invoke(batch.map((message) => sqsRecord(message, queueArn)))
            .catch(onError)
            .finally(() => {
              running.delete(task);
              wake();
            });
          running.add(task);
        }
      } catch (error) {
        onError(error);
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollIntervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = () => undefined;
    }
  }

  const looping = loop();
  return {
    idle: ({ timeoutMs }) => queue.idle(queueName, { timeoutMs }),
    async busy() {
      const depth = await queue.depth(queueName);
      return depth.visible + depth.inFlight > 0;
    },
    async stop() {
      stopped = true;
      wake();
      stopListening();
      await looping;
      await Promise.allSettled([...running]);
    },
  };
}
