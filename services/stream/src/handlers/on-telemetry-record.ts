/**
 * DynamoDB Streams on the telemetry table: land the batch's new images as raw
 * JSONL objects, one per dataset. On a failure, report the first sequence number
 * not persisted, so Lambda retries from there (ReportBatchItemFailures).
 */
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { landStreamBatch } from '@pulse-lake/shared/ingest/land-stream-batch';
import { functionLogger, type Logger, logsWithLambdaContext } from '@pulse-lake/shared/edge/logger';
import type { LakeDeps } from '@pulse-lake/shared/ports';

/** Builds the handler over `deps`. */
export function createHandler(deps: LakeDeps, logger: Logger = functionLogger()) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(logsWithLambdaContext(logger))
    .handler(async (event) => {
      const outcome = await landStreamBatch(deps, event.Records);
      if (outcome.failedSequenceNumber === undefined) return { batchItemFailures: [] };
      logger.error('stream batch stopped at a record', {
        failedSequenceNumber: outcome.failedSequenceNumber,
        reason: outcome.failureReason,
      });
      return { batchItemFailures: [{ itemIdentifier: outcome.failedSequenceNumber }] };
    });
}
