/**
 * The EventBus port on Amazon EventBridge (the account's default bus unless named).
 */
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { EventBus, LakeEvent } from '../../ports';
import { DEFAULT_RETRY, backoffDelay, withThrottlingRetry, type RetryOptions } from './retry';

/** PutEvents takes at most 10 entries. */
export const EVENTBRIDGE_BATCH_LIMIT = 10;

/** Some events could still not be published after the retries. */
export class EventPublishError extends Error {
  override name = 'EventPublishError';
  constructor(
    readonly failed: { detailType: string; code: string }[],
    options?: { cause?: unknown },
  ) {
    super(
      `${failed.length} event(s) could not be published to EventBridge: ${failed
        .slice(0, 5)
        .map((f) => `${f.detailType} (${f.code})`)
        .join(', ')}`,
      options,
    );
  }
}

/**
 * Builds the EventBridge EventBus. PutEvents answers entry by entry in request order;
 * entries with an ErrorCode are retried with backoff.
 */
export function buildEventBridgeBus(
  client: EventBridgeClient,
  options: { eventBusName?: string; retry?: RetryOptions } = {},
): EventBus {
  const retry = options.retry ?? DEFAULT_RETRY;

  async function putBatch(batch: LakeEvent[]): Promise<void> {
    let pending: PutEventsRequestEntry[] = batch.map((event) => ({
      Source: event.source,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      ...(options.eventBusName !== undefined ? { EventBusName: options.eventBusName } : {}),
    }));
    for (let attempt = 1; ; attempt += 1) {
      const entries = pending;
      const result = await withThrottlingRetry(() => client.send(new PutEventsCommand({ Entries: entries })), retry);
      if ((result.FailedEntryCount ?? 0) === 0) return;
      const answers = result.Entries ?? [];
      const failed = entries.flatMap((entry, i) => {
        const code = answers[i]?.ErrorCode;
        return code !== undefined ? [{ entry, code }] : [];
      });
      if (attempt >= retry.attempts) {
        throw new EventPublishError(failed.map((f) => ({ detailType: f.entry.DetailType ?? '?', code: f.code })));
      }
      pending = failed.map((f) => f.entry);
      await retry.sleep(backoffDelay(attempt, retry));
    }
  }

  return {
    async publish(events: LakeEvent[]) {
      for (let i = 0; i < events.length; i += EVENTBRIDGE_BATCH_LIMIT) {
        await putBatch(events.slice(i, i + EVENTBRIDGE_BATCH_LIMIT));
      }
    },
  };
}
