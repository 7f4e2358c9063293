/** What Lambda's stream event source mapping hands its on-failure destination when it gives up on a batch. */
import { randomBytes } from 'node:crypto';
import type { StreamRecord } from '@pulse-lake/shared/adapters/local/index';
import { sequenceOf } from '@pulse-lake/shared/adapters/local/index';

/** AWS's documented `DDBStreamBatchInfo` record (the body of each message in the stream's DLQ). */
export interface StreamFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted';
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

/** The failure record of `batch` (not empty), given up on after `attempts` invocations. */
export function streamFailureRecord(
  batch: readonly StreamRecord[],
  shardId: string,
  attempts: number,
  functionArn: string,
  now: Date,
): StreamFailureRecord {
  const first = batch[0] as StreamRecord;
  const last = batch[batch.length - 1] as StreamRecord;
  const arrival = (r: StreamRecord) => new Date(r.arrivedAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    requestContext: {
      requestId: randomBytes(16).toString('hex'),
      functionArn,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: attempts,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: now.toISOString(),
    DDBStreamBatchInfo: {
      shardId,
      startSequenceNumber: sequenceOf(first),
      endSequenceNumber: sequenceOf(last),
      approximateArrivalOfFirstRecord: arrival(first),
      approximateArrivalOfLastRecord: arrival(last),
      batchSize: batch.length,
      streamArn: first.record.eventSourceARN ?? '',
    },
  };
}
