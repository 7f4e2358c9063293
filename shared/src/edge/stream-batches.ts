/**
 * A DynamoDB stream batch processed as a whole and in order, on Powertools' batch base class.
 *
 * Powertools' BatchProcessor hands each record to a handler on its own and reports every record that
 * failed; the records after a failure are still processed. A telemetry stream needs the opposite: its
 * batch lands as one raw object per dataset, and a record that cannot be persisted must stop the batch,
 * so a device's later readings wait behind it instead of landing ahead of it. Lambda retries a stream
 * from the lowest sequence number reported (ReportBatchItemFailures), so reporting that one record, and
 * nothing after it, replays the rest in order. This processor runs one handler over the whole batch and
 * settles the records up to the first one the handler could not persist.
 */
import { BasePartialBatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import type { BaseRecord, FailureResponse, SuccessResponse } from '@aws-lambda-powertools/batch/types';
import type { DynamoDBRecord } from 'aws-lambda';

/** What a whole-batch handler says: the first record it could not persist, and why (absent when all landed). */
export interface InOrderBatchOutcome {
  failedSequenceNumber?: string;
  failureReason?: string;
}

/** The batch stopped at this record; Lambda retries the stream from it. */
export class StreamBatchStoppedError extends Error {
  override name = 'StreamBatchStoppedError';
}

/**
 * Use with `processPartialResponse(event, landBatch, new InOrderStreamProcessor(), { throwOnFullBatchFailure: false })`,
 * where `landBatch(records, context)` persists the batch and resolves to an {@link InOrderBatchOutcome}.
 * Build one per invocation: a processor holds the state of the batch it is processing.
 */
export class InOrderStreamProcessor extends BasePartialBatchProcessor {
  #outcome: InOrderBatchOutcome = {};

  constructor() {
    super(EventType.DynamoDBStreams);
  }

  override async process(): Promise<(SuccessResponse | FailureResponse)[]> {
    this.prepare();
    this.#outcome = (await this.handler(this.records, this.options?.context)) as InOrderBatchOutcome;
    const settled: (SuccessResponse | FailureResponse)[] = [];
    for (const record of this.records) {
      const result = await this.processRecord(record);
      settled.push(result);
      if (result[0] === 'fail') break;
    }
    this.clean();
    return settled;
  }

  /** Settles one record against the batch's outcome: the record the batch stopped at failed, those before it landed. */
  async processRecord(record: BaseRecord): Promise<SuccessResponse | FailureResponse> {
    return this.processRecordSync(record);
  }

  processRecordSync(record: BaseRecord): SuccessResponse | FailureResponse {
    const { failedSequenceNumber, failureReason } = this.#outcome;
    // Registered by processPartialResponse from a DynamoDB stream event's Records.
    const data = record as DynamoDBRecord;
    if (failedSequenceNumber !== undefined && data.dynamodb?.SequenceNumber === failedSequenceNumber)
      return this.failureHandler(data, new StreamBatchStoppedError(failureReason ?? 'the record was not persisted'));
    return this.successHandler(data, undefined);
  }
}
