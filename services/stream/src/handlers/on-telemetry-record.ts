/**
 * DynamoDB Streams on the telemetry table: decode the batch's records, land
 * their new images as raw JSONL objects, one per dataset. On a failure, report the first sequence number
 * not persisted, so Lambda retries from there (ReportBatchItemFailures) and the
 * records after it wait behind it (shared/src/edge/stream-batches.ts says why).
 */
import { processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { functionLogger, type Logger, logsWithLambdaContext } from '@pulse-lake/shared/edge/logger';
import { InOrderStreamProcessor } from '@pulse-lake/shared/edge/stream-batches';
import { telemetryChangesOf } from '@pulse-lake/shared/edge/dynamodb-stream';
import { landStreamBatch } from '@pulse-lake/shared/ingest/land-stream-batch';
import type { LakeDeps } from '@pulse-lake/shared/ports';

/** Builds the handler over `deps`. */
export function createHandler(deps: LakeDeps, logger: Logger = functionLogger()) {
  const landBatch = async (records: DynamoDBRecord[]) => {
    const outcome = await landStreamBatch(deps, telemetryChangesOf(records));
    if (outcome.failedSequenceNumber !== undefined) {
      logger.error('stream batch stopped at a record', {
        failedSequenceNumber: outcome.failedSequenceNumber,
        reason: outcome.failureReason,
      });
    }
    return outcome;
  };
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(logsWithLambdaContext(logger))
    .handler(
      async (event, context: Context) =>
        // A one-record batch that fails is still reported, not thrown: Lambda retries from that record either way.
        (await processPartialResponse(event, landBatch, new InOrderStreamProcessor(), {
          context,
          throwOnFullBatchFailure: false,
        })) as DynamoDBBatchResponse,
    );
}
