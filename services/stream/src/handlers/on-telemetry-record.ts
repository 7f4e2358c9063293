/**
 * DynamoDB Streams on the telemetry table: decode the batch's records, land
 * their new images as raw JSONL objects, one per dataset. On a failure, report the first sequence number
 * not persisted, so Lambda retries from there (ReportBatchItemFailures).
 */
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { telemetryChangesOf } from '@pulse-lake/shared/edge/dynamodb-stream';
import { landStreamBatch } from '@pulse-lake/shared/ingest/land-stream-batch';
import type { LakeDeps } from '@pulse-lake/shared/ports';

/** Builds the handler over `deps`. */
export function createHandler(deps: LakeDeps, log: (line: string) => void = (line) => console.error(line)) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>().handler(async (event) => {
    const outcome = await landStreamBatch(deps, telemetryChangesOf(event.Records));
    if (outcome.failedSequenceNumber === undefined) return { batchItemFailures: [] };
    log(
      JSON.stringify({
        level: 'ERROR',
        failedSequenceNumber: outcome.failedSequenceNumber,
        reason: outcome.failureReason,
      }),
    );
    return { batchItemFailures: [{ itemIdentifier: outcome.failedSequenceNumber }] };
  });
}
