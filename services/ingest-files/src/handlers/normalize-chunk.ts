/**
 * SQS normalize queue: normalize one chunk per message. A message whose chunk
 * fails is reported in batchItemFailures, so only it is retried (and after
 * maxReceiveCount goes to the DLQ); the others are deleted.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { NormalizeChunkMessage } from '@pulse-lake/shared/lake/messages';
import { normalizeChunk } from '@pulse-lake/shared/normalize/normalize-chunk';
import { functionLogger, type Logger, logsWithLambdaContext } from '@pulse-lake/shared/edge/logger';
import type { LakeDeps } from '@pulse-lake/shared/ports';

/** A message body that is not a normalize-chunk message; it will fail every time, so it is reported, not retried forever. */
export class MalformedChunkMessageError extends Error {
  override name = 'MalformedChunkMessageError';
}

function parseMessage(body: string): NormalizeChunkMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new MalformedChunkMessageError('message body is not JSON', { cause: error });
  }
  const m = parsed as Partial<NormalizeChunkMessage> | null;
  if (
    m === null ||
    typeof m !== 'object' ||
    m.kind !== 'normalize-chunk' ||
    typeof m.dataset !== 'string' ||
    typeof m.contentHash !== 'string' ||
    m.raw === undefined ||
    m.chunk === undefined
  ) {
    throw new MalformedChunkMessageError(
      'message body is not a normalize-chunk message (kind, dataset, contentHash, raw, chunk)',
    );
  }
  return m as NormalizeChunkMessage;
}

/** Builds the handler over `deps`. */
export function createHandler(deps: LakeDeps, logger: Logger = functionLogger()) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(logsWithLambdaContext(logger))
    .handler(async (event) => {
      const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
      for (const record of event.Records) {
        try {
          await normalizeChunk(deps, parseMessage(record.body));
        } catch (error) {
          logger.error(error instanceof Error ? error.message : 'non-error thrown', {
            messageId: record.messageId,
            error: error instanceof Error ? error.name : 'non-error thrown',
          });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures };
    });
}
