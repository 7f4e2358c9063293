/**
 * Lambda's event source mapping over the local SQS queue: batches, partial
 * batch failures, retries through the visibility timeout, the redrive policy's
 * DLQ, and a crashed process's messages coming back.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { buildLocalQueue } from '@pulse-lake/shared/adapters/local/index';
import { startSqsEventSource } from '../../../../src/runtime/event-sources/sqs-event-source';

const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the SQS event source on the local queue', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-sqs-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('delivers SQS-shaped events in batches and deletes what the handler finished', async () => {
    // Prepare
    const queue = buildLocalQueue(home, { region: 'ap-southeast-1', account: '123456789012' });
    await queue.send(
      'normalize',
      [1, 2, 3].map((i) => ({ id: `m${i}`, body: JSON.stringify({ i }) })),
    );
    const events: SQSEvent[] = [];

    // Act
    const consumer = startSqsEventSource(queue, 'normalize', async (event) => void events.push(event), {
      batchSize: 2,
      concurrency: 1,
    });
    await queue.idle('normalize', { timeoutMs: 5000 });
    await consumer.stop();

    // Assess
    expect(events.map((e) => e.Records.length)).toEqual([2, 1]);
    const record = events[0]?.Records[0] as SQSRecord;
    expect(record).toEqual({
      messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      receiptHandle: expect.any(String),
      body: '{"i":1}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update('{"i":1}').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:ap-southeast-1:123456789012:normalize',
      awsRegion: 'ap-southeast-1',
    });
    expect(await queue.depth('normalize')).toEqual({ visible: 0, inFlight: 0 });
  });

  it('retries only the messages named in batchItemFailures', async () => {
    const queue = buildLocalQueue(home);
    await queue.send('q', [
      { id: 'a', body: 'good' },
      { id: 'b', body: 'bad-once' },
    ]);
    const seen: string[] = [];
    let failedOnce = false;

    queue.setAttributes('q', { visibilityTimeoutSeconds: 0.2 });
    const consumer = startSqsEventSource(
      queue,
      'q',
      async (event) => {
        const failures = [];
        for (const r of event.Records) {
          seen.push(`${r.body}#${r.attributes.ApproximateReceiveCount}`);
          if (r.body === 'bad-once' && !failedOnce) {
            failedOnce = true;
            failures.push({ itemIdentifier: r.messageId });
          }
        }
        return { batchItemFailures: failures };
      },
      { batchSize: 10, pollIntervalMs: 20 },
    );
    await queue.idle('q', { timeoutMs: 5000 });
    await consumer.stop();

    expect(seen).toEqual(['good#1', 'bad-once#1', 'bad-once#2']);
  });

  it('keeps a whole batch invisible until the visibility timeout when the handler throws, then redelivers it', async () => {
    const queue = buildLocalQueue(home);
    await queue.send('q', [
      { id: 'a', body: 'x' },
      { id: 'b', body: 'y' },
    ]);
    const deliveries: { at: number; bodies: string[]; receiveCounts: string[] }[] = [];
    const errors: unknown[] = [];

    queue.setAttributes('q', { visibilityTimeoutSeconds: 0.4 });
    const consumer = startSqsEventSource(
      queue,
      'q',
      async (event) => {
        deliveries.push({
          at: Date.now(),
          bodies: event.Records.map((r) => r.body),
          receiveCounts: event.Records.map((r) => r.attributes.ApproximateReceiveCount),
        });
        if (deliveries.length === 1) throw new Error('downstream unavailable');
      },
      { pollIntervalMs: 20, onError: (e) => errors.push(e) },
    );
    await until(() => deliveries.length === 1);
    expect(await queue.depth('q')).toEqual({ visible: 0, inFlight: 2 });
    await queue.idle('q', { timeoutMs: 30_000 });
    await consumer.stop();

    // Like SQS, the redelivery may come back as one batch or as two.
    const [first, ...redeliveries] = deliveries;
    expect(first?.bodies.sort()).toEqual(['x', 'y']);
    expect(redeliveries.flatMap((d) => d.bodies).sort()).toEqual(['x', 'y']);
    expect(redeliveries.flatMap((d) => d.receiveCounts)).toEqual(['2', '2']);
    for (const redelivery of redeliveries) expect(redelivery.at - (first?.at ?? 0)).toBeGreaterThanOrEqual(350);
    expect(errors).toHaveLength(1);
  });

  it('retries failed messages after retryAfterSeconds, not the whole visibility timeout, and only those', async () => {
    const queue = buildLocalQueue(home);
    await queue.send('q', [
      { id: 'a', body: 'fails-once' },
      { id: 'b', body: 'fine' },
    ]);
    const seen: string[] = [];
    queue.setAttributes('q', { visibilityTimeoutSeconds: 60 });
    const consumer = startSqsEventSource(
      queue,
      'q',
      async (event) => {
        seen.push(...event.Records.map((r) => `${r.body}#${r.attributes.ApproximateReceiveCount}`));
        const failing = event.Records.filter(
          (r) => r.body === 'fails-once' && r.attributes.ApproximateReceiveCount === '1',
        );
        return { batchItemFailures: failing.map((r) => ({ itemIdentifier: r.messageId })) };
      },
      { retryAfterSeconds: 0.1, pollIntervalMs: 20 },
    );
    // With the 60 s visibility timeout alone, this would wait a minute.
    await queue.idle('q', { timeoutMs: 10_000 });
    await consumer.stop();
    expect(seen.sort()).toEqual(['fails-once#1', 'fails-once#2', 'fine#1']);
  });

  it('moves a message that keeps failing to the DLQ after maxReceiveCount receives, and redrives it', async () => {
    const queue = buildLocalQueue(home);
    await queue.send('q', [{ id: 'a', body: 'poison' }]);
    let receives = 0;

    queue.setAttributes('q', {
      visibilityTimeoutSeconds: 0.05,
      redrivePolicy: { maxReceiveCount: 3, deadLetterQueue: 'q-dlq' },
    });
    const consumer = startSqsEventSource(
      queue,
      'q',
      async () => {
        receives += 1;
        throw new Error('cannot process');
      },
      { pollIntervalMs: 10, onError: () => undefined },
    );
    await queue.idle('q', { timeoutMs: 5000 });
    await consumer.stop();

    expect(receives).toBe(3);
    const dead = await queue.list('q-dlq');
    expect(dead).toEqual([expect.objectContaining({ body: 'poison', state: 'visible' })]);

    expect(await queue.redrive('q-dlq', 'q')).toBe(1);
    expect(await queue.depth('q')).toEqual({ visible: 1, inFlight: 0 });
    expect(await queue.depth('q-dlq')).toEqual({ visible: 0, inFlight: 0 });
  });

  it('redelivers after a restart the messages a crashed process had in flight', async () => {
    // Prepare: the first "process" receives and dies without deleting.
    const first = buildLocalQueue(home);
    await first.send('q', [{ id: 'a', body: 'survives' }]);
    let crashed!: () => void;
    let release!: () => void;
    const received = new Promise<void>((resolve) => (crashed = resolve));
    first.setAttributes('q', { visibilityTimeoutSeconds: 0.3 });
    const hung = startSqsEventSource(
      first,
      'q',
      () => {
        crashed();
        return new Promise<void>((resolve) => (release = resolve));
      },
      { pollIntervalMs: 10 },
    );
    await received;
    const stopping = hung.stop();
    expect(await first.depth('q')).toEqual({ visible: 0, inFlight: 1 });

    // Act: a new instance on the same folder.
    const second = buildLocalQueue(home);
    const bodies: string[] = [];
    second.setAttributes('q', { visibilityTimeoutSeconds: 0.3 });
    const consumer = startSqsEventSource(
      second,
      'q',
      async (e) => void bodies.push(...e.Records.map((r) => `${r.body}#${r.attributes.ApproximateReceiveCount}`)),
      { pollIntervalMs: 20 },
    );
    await until(() => bodies.length === 1);
    await consumer.stop();
    // The stuck handler finally returns: its receipt handle is stale, so nothing breaks.
    release();
    await stopping;

    // Assess
    expect(bodies).toEqual(['survives#2']);
    expect((await second.list('q')).length).toBe(0);
  });
});
