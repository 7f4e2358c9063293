/**
 * What every Queue does: run by queue.local.test.ts (the durable folder queue under
 * a temp LAKE_HOME) and queue.aws.test.ts (SQS over fakes/sqs.ts). The port only
 * sends; receiving, visibility and the DLQ belong to whoever consumes (Lambda's
 * event source mapping on AWS, the local runtime locally), so the suites check what
 * arrived in the queue, not how it is consumed.
 */
import type { Queue, QueueMessage } from '../../src/ports';

export interface QueueSubject {
  queue: Queue;
  /** A queue that exists and starts empty. */
  queueName: string;
  /** The bodies of the messages waiting in `queueName`, oldest first. */
  waiting(): Promise<string[]>;
}

const messages = (n: number, body = (i: number) => `{"chunk":${i}}`): QueueMessage[] =>
  Array.from({ length: n }, (_, i) => ({ id: `m${i}`, body: body(i) }));

/** Defines the Queue contract; `open` gives a fresh subject per test. */
export function queueContract(open: () => Promise<QueueSubject>): void {
  let subject: QueueSubject;
  beforeEach(async () => {
    subject = await open();
  });

  it('delivers every message sent, however many one send holds', async () => {
    await subject.queue.send(subject.queueName, messages(23));

    expect((await subject.waiting()).sort()).toEqual(
      messages(23)
        .map((m) => m.body)
        .sort(),
    );
  });

  it('takes a send of no messages as nothing to do', async () => {
    await subject.queue.send(subject.queueName, []);

    expect(await subject.waiting()).toEqual([]);
  });

  it('delivers messages that together exceed what one SQS request may carry', async () => {
    const large = messages(10, (i) => `${i}`.padEnd(100_000, 'x'));

    await subject.queue.send(subject.queueName, large);

    expect((await subject.waiting()).map((body) => body.length)).toEqual(Array(10).fill(100_000));
  });

  it('refuses a send whose batch entry ids repeat', async () => {
    await expect(
      subject.queue.send(subject.queueName, [
        { id: 'same', body: '1' },
        { id: 'same', body: '2' },
      ]),
    ).rejects.toThrow();
  });

  it('refuses a message over 256 KiB', async () => {
    await expect(subject.queue.send(subject.queueName, [{ id: 'big', body: 'x'.repeat(262_145) }])).rejects.toThrow();
  });
}
