/**
 * SQS normalize queue: normalize one chunk per message, one message after the
 * other. A message whose chunk fails is reported in batchItemFailures, so only
 * it is retried (and after maxReceiveCount goes to the DLQ); the others are deleted.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { JSONStringified } from '@aws-lambda-powertools/parser/helpers';
import { SqsRecordSchema } from '@aws-lambda-powertools/parser/schemas';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { functionLogger, type Logger, logsWithLambdaContext } from '@pulse-lake/shared/edge/logger';
import { issuesOf } from '@pulse-lake/shared/edge/schemas';
import { type NormalizeChunkMessage, NormalizeChunkMessageSchema } from '@pulse-lake/shared/lake/messages';
import { normalizeChunk } from '@pulse-lake/shared/normalize/normalize-chunk';
import type { LakeDeps } from '@pulse-lake/shared/ports';

/** A message body that is not a normalize-chunk message; it will fail every time, so it is reported, not retried forever. */
export class MalformedChunkMessageError extends Error {
  override name = 'MalformedChunkMessageError';
}

const NormalizeChunkRecordSchema = SqsRecordSchema.extend({ body: JSONStringified(NormalizeChunkMessageSchema) });

function parseMessage(record: SQSRecord): NormalizeChunkMessage {
  const parsed = NormalizeChunkRecordSchema.safeParse(record);
  if (parsed.success) return parsed.data.body;
  throw new MalformedChunkMessageError(`message is not a normalize-chunk message: ${issuesOf(parsed.error)}`);
}

/** Builds the handler over `deps`. */
export function createHandler(deps: LakeDeps, logger: Logger = functionLogger()) {
  const normalizeRecord = async (record: SQSRecord) => {
    try {
      await normalizeChunk(deps, parseMessage(record));
    } catch (error) {
      logger.error(error instanceof Error ? error.message : 'non-error thrown', {
        messageId: record.messageId,
        error: error instanceof Error ? error.name : 'non-error thrown',
      });
      throw error;
    }
  };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(logsWithLambdaContext(logger))
    .handler(async (event, context) =>
      processPartialResponse(event, normalizeRecord, new BatchProcessor(EventType.SQS), {
        context,
        // One chunk at a time, as Lambda's memory is sized for; a batch whose every chunk failed is reported, not thrown.
        processInParallel: false,
        throwOnFullBatchFailure: false,
      }),
    );
}
