/**
 * EventBridge `Partitions Written`: register the announced partitions in the catalog.
 * A failure throws, so EventBridge's asynchronous invoke retries it; registration is idempotent.
 */
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { registerPartitions } from '@pulse-lake/shared/catalog/register-partitions';
import type { PartitionsWrittenDetail } from '@pulse-lake/shared/lake/messages';
import { PARTITIONS_WRITTEN } from '@pulse-lake/shared/lake/messages';
import type { LakeDeps } from '@pulse-lake/shared/ports';

type Registered = Awaited<ReturnType<typeof registerPartitions>>;

/** The event is not a Partitions Written event with partitions; the rule should never route one here. */
export class UnexpectedEventError extends Error {
  override name = 'UnexpectedEventError';
}

/** Builds the handler over `deps`. */
export function createHandler(deps: LakeDeps) {
  return middy<EventBridgeEvent<string, PartitionsWrittenDetail>, Registered>().handler(async (event) => {
    const detail = event.detail;
    if (event['detail-type'] !== PARTITIONS_WRITTEN || detail === undefined || !Array.isArray(detail.partitions) || typeof detail.dataset !== 'string') {
      throw new UnexpectedEventError(`expected a ${PARTITIONS_WRITTEN} event with dataset and partitions, got detail-type ${event['detail-type']}`);
    }
    return registerPartitions(deps, detail);
  });
}
