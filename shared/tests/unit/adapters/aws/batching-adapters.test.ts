import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueUrlCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { buildEventBridgeBus, EventPublishError } from '../../../../src/adapters/aws/eventbridge-bus';
import type { RetryOptions } from '../../../../src/adapters/aws/retry';
import { buildSqsQueue, QueueSendError } from '../../../../src/adapters/aws/sqs-queue';

const sqs = mockClient(SQSClient);
const events = mockClient(EventBridgeClient);

function recordingRetry(): RetryOptions & { delays: number[] } {
  const delays: number[] = [];
  return { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000, delays, sleep: async (ms) => void delays.push(ms) };
}

const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `m${i}`, body: `{"i":${i}}` }));

describe('SQS queue', () => {
  beforeEach(() => sqs.reset());

  it('sends in batches of at most 10 to the URL resolved once by name', async () => {
    // Prepare
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: 'https://sqs/q' });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const queue = buildSqsQueue(new SQSClient({ region: 'ap-southeast-1' }), recordingRetry());
    // Act
    await queue.send('pulse-lake-dev-normalize', messages(23));
    await queue.send('pulse-lake-dev-normalize', messages(1));
    // Assess
    const sizes = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 10, 3, 1]);
    expect(sqs.commandCalls(GetQueueUrlCommand)).toHaveLength(1);
    expect(sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.QueueUrl).toBe('https://sqs/q');
  });

  it('retries only the entries SQS reports as Failed', async () => {
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: 'https://sqs/q' });
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: 'm1', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Failed: [] });
    const retry = recordingRetry();
    const queue = buildSqsQueue(new SQSClient({ region: 'ap-southeast-1' }), retry);

    await queue.send('q', messages(3));

    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((e) => e.Id)).toEqual(['m1']);
    expect(retry.delays).toHaveLength(1);
  });

  it('throws QueueSendError naming the entries still failing after the retries', async () => {
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: 'https://sqs/q' });
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: 'm0', Code: 'InternalError', SenderFault: false }] });
    const queue = buildSqsQueue(new SQSClient({ region: 'ap-southeast-1' }), recordingRetry());

    const sending = queue.send('q', messages(1));

    await expect(sending).rejects.toBeInstanceOf(QueueSendError);
    await expect(sending).rejects.toThrow('m0 (InternalError)');
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });

  it('does not retry entries SQS says the sender got wrong', async () => {
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: 'https://sqs/q' });
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: 'm0', Code: 'InvalidMessageContents', SenderFault: true }] });
    const queue = buildSqsQueue(new SQSClient({ region: 'ap-southeast-1' }), recordingRetry());

    await expect(queue.send('q', messages(1))).rejects.toBeInstanceOf(QueueSendError);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });
});

describe('EventBridge bus', () => {
  beforeEach(() => events.reset());

  const lakeEvents = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ source: 'pulse-lake', detailType: 'Partitions Written', detail: { i } }));

  it('puts at most 10 entries a call, detail as JSON', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const bus = buildEventBridgeBus(new EventBridgeClient({ region: 'ap-southeast-1' }), { retry: recordingRetry() });

    await bus.publish(lakeEvents(12));

    const calls = events.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 2]);
    expect(calls[0]?.args[0].input.Entries?.[3]).toEqual({
      Source: 'pulse-lake',
      DetailType: 'Partitions Written',
      Detail: '{"i":3}',
    });
  });

  it('retries the entries counted in FailedEntryCount, matched by position', async () => {
    events
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'x' }, { EventId: 'c' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
    const bus = buildEventBridgeBus(new EventBridgeClient({ region: 'ap-southeast-1' }), { retry: recordingRetry() });

    await bus.publish(lakeEvents(3));

    const retried = events.commandCalls(PutEventsCommand)[1]?.args[0].input.Entries;
    expect(retried).toEqual([{ Source: 'pulse-lake', DetailType: 'Partitions Written', Detail: '{"i":1}' }]);
  });

  it('throws EventPublishError when entries keep failing', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] });
    const bus = buildEventBridgeBus(new EventBridgeClient({ region: 'ap-southeast-1' }), { retry: recordingRetry() });

    await expect(bus.publish(lakeEvents(1))).rejects.toBeInstanceOf(EventPublishError);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(3);
  });
});
