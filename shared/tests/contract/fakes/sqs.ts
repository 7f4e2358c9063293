/**
 * Amazon SQS as `aws-sdk-client-mock` plays it for the contract suites: queues by
 * name, GetQueueUrl (QueueDoesNotExist for an unknown name) and SendMessageBatch
 * with the checks the SQS API reference documents for a whole request (at most 10
 * entries, distinct ids, at most 256 KiB of bodies in all).
 */
import {
  BatchEntryIdsNotDistinct,
  BatchRequestTooLong,
  EmptyBatchRequest,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SQSClient,
  TooManyEntriesInBatchRequest,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';

const MAX_BATCH_BYTES = 262_144;

/** Mocks every SQSClient of this test file; `queues` maps each queue's name to the bodies it received. */
export function fakeSqs(queues: Map<string, string[]>): SQSClient {
  const mock = mockClient(SQSClient);
  const urlOf = (name: string) => `https://sqs.ap-southeast-1.amazonaws.com/000000000000/${name}`;
  const metadata = { $metadata: { httpStatusCode: 400 } };

  mock.on(GetQueueUrlCommand).callsFake(async (input) => {
    const name = input.QueueName ?? '';
    if (!queues.has(name)) throw new QueueDoesNotExist({ message: `queue ${name} does not exist`, ...metadata });
    return { QueueUrl: urlOf(name) };
  });
  mock.on(SendMessageBatchCommand).callsFake(async (input) => {
    const name = (input.QueueUrl ?? '').split('/').pop() ?? '';
    const received = queues.get(name);
    if (received === undefined) throw new QueueDoesNotExist({ message: `queue ${name} does not exist`, ...metadata });
    const entries: SendMessageBatchRequestEntry[] = input.Entries ?? [];
    if (entries.length === 0) throw new EmptyBatchRequest({ message: 'no entries', ...metadata });
    if (entries.length > 10) throw new TooManyEntriesInBatchRequest({ message: 'more than 10 entries', ...metadata });
    if (new Set(entries.map((e) => e.Id)).size !== entries.length)
      throw new BatchEntryIdsNotDistinct({ message: 'two entries share an id', ...metadata });
    const bytes = entries.reduce((sum, e) => sum + Buffer.byteLength(e.MessageBody ?? '', 'utf8'), 0);
    if (bytes > MAX_BATCH_BYTES)
      throw new BatchRequestTooLong({ message: `the batch holds ${bytes} bytes`, ...metadata });
    received.push(...entries.map((e) => e.MessageBody ?? ''));
    return {
      Successful: entries.map((e) => ({ Id: e.Id, MessageId: `${e.Id}-id`, MD5OfMessageBody: '' })),
      Failed: [],
    };
  });
  return new SQSClient({ region: 'ap-southeast-1', credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' } });
}
