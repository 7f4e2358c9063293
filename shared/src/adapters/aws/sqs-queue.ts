/**
 * The Queue port on Amazon SQS.
 */
import {
  GetQueueUrlCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Queue, QueueMessage } from '../../ports';
import { DEFAULT_RETRY, backoffDelay, withThrottlingRetry, type RetryOptions } from './retry';

/** SendMessageBatch takes at most 10 entries. */
export const SQS_BATCH_LIMIT = 10;

/** ...and at most 256 KiB of message bodies in all (BatchRequestTooLong otherwise). */
export const SQS_BATCH_BYTES = 262_144;

/** Splits messages into SendMessageBatch requests within both limits; an oversized message goes alone (SQS refuses it). */
function sendBatches(messages: QueueMessage[]): QueueMessage[][] {
  const batches: QueueMessage[][] = [];
  let batch: QueueMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body, 'utf8');
    if (batch.length === SQS_BATCH_LIMIT || (batch.length > 0 && bytes + size > SQS_BATCH_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(message);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Some messages could still not be sent after the retries; the ids say which. */
export class QueueSendError extends Error {
  override name = 'QueueSendError';
  constructor(
    readonly queueName: string,
    readonly failed: { id: string; code: string; senderFault: boolean }[],
    options?: { cause?: unknown },
  ) {
    super(
      `${failed.length} message(s) could not be sent to SQS queue ${queueName}: ${failed
        .slice(0, 5)
        .map((f) => `${f.id} (${f.code})`)
        .join(', ')}`,
      options,
    );
  }
}

/**
 * Builds the SQS Queue. Messages go in batches of at most 10 and 256 KiB. Queue URLs are
 * resolved by name once and cached; entries SQS reports as Failed are retried with backoff,
 * unless SQS says the sender is at fault.
 */
export function buildSqsQueue(client: SQSClient, retry: RetryOptions = DEFAULT_RETRY): Queue {
  const urls = new Map<string, Promise<string>>();

  function queueUrl(queueName: string): Promise<string> {
    let url = urls.get(queueName);
    if (url === undefined) {
      url = client.send(new GetQueueUrlCommand({ QueueName: queueName })).then((result) => {
        if (result.QueueUrl === undefined) throw new Error(`SQS returned no URL for queue ${queueName}`);
        return result.QueueUrl;
      });
      // A failed lookup must not poison the cache for the life of the container.
      url.catch(() => urls.delete(queueName));
      urls.set(queueName, url);
    }
    return url;
  }

  async function sendBatch(queueName: string, url: string, batch: QueueMessage[]): Promise<void> {
    let pending: SendMessageBatchRequestEntry[] = batch.map((m) => ({ Id: m.id, MessageBody: m.body }));
    for (let attempt = 1; ; attempt += 1) {
      const entries = pending;
      const result = await withThrottlingRetry(
        () => client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries })),
        retry,
      );
      const failed = result.Failed ?? [];
      if (failed.length === 0) return;
      const failedIds = new Set(failed.map((f) => f.Id));
      const permanent = failed.some((f) => f.SenderFault === true);
      if (permanent || attempt >= retry.attempts) {
        throw new QueueSendError(
          queueName,
          failed.map((f) => ({ id: f.Id ?? '?', code: f.Code ?? 'unknown', senderFault: f.SenderFault === true })),
        );
      }
      pending = entries.filter((e) => failedIds.has(e.Id));
      await retry.sleep(backoffDelay(attempt, retry));
    }
  }

  return {
    async send(queueName: string, messages: QueueMessage[]) {
      if (messages.length === 0) return;
      const url = await queueUrl(queueName);
      for (const batch of sendBatches(messages)) await sendBatch(queueName, url, batch);
    },
  };
}
