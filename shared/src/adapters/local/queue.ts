/**
 * SQS on folders: `$LAKE_HOME/queues/<name>/{visible,inflight}/`, one file per
 * message. A message's mutable state lives in its file NAME, so every state
 * change is one atomic rename, and whoever wins the rename owns the message —
 * across processes, and across a crash and restart:
 *   visible/<sentMs>-<messageId>_<receiveCount>_<firstReceiveMs>.json
 *   inflight/<invisibleUntilMs>_<sentMs>-<messageId>_<receiveCount>_<firstReceiveMs>_<token>.json
 * The inflight name is the receipt handle; an expired one is renamed back to visible.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queue, QueueMessage } from '../../ports';
import { errorCode, renameInto, unlinkIfExists, writeTemp } from './files';
import { reportToStderr } from './pending-work';

/** The handler a queue's event source mapping invokes: a Lambda SQS handler. */
export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

export interface ConsumeOptions {
  /** Messages per invocation (Lambda `batchSize`, default 10). */
  batchSize?: number;
  /** Queue `VisibilityTimeout`: how long a received message stays hidden (seconds, fractions allowed; default 30). */
  visibilityTimeoutSeconds?: number;
  /**
   * After a failed invocation, its failed messages become visible again after this
   * many seconds instead of when their visibility timeout ends (what a handler calling
   * ChangeMessageVisibility on failure gets). For one-shot runs that should not wait
   * minutes on a transient failure; a slow success still has the whole timeout.
   */
  retryAfterSeconds?: number;
  /** Redrive policy: after this many receives the next receive moves the message to `deadLetterQueue` instead. */
  maxReceiveCount?: number;
  deadLetterQueue?: string;
  /** Batches run at once (Lambda's maximum concurrency, default 2). */
  concurrency?: number;
  /** How often an idle consumer looks for messages (default 100 ms). */
  pollIntervalMs?: number;
  /** Where handler failures are reported (default: one line on stderr). */
  onError?: (error: unknown) => void;
}

export interface QueueConsumer {
  /** Stops polling and waits for running batches to finish. */
  stop(): Promise<void>;
}

export interface QueueDepth {
  visible: number;
  inFlight: number;
}

export interface ListedMessage {
  messageId: string;
  body: string;
  state: 'visible' | 'inflight';
  receiveCount: number;
  sentTimestamp: number;
}

export interface LocalQueue extends Queue {
  consume(queueName: string, handler: SqsBatchHandler, options?: ConsumeOptions): QueueConsumer;
  list(queueName: string): Promise<ListedMessage[]>;
  depth(queueName: string): Promise<QueueDepth>;
  /**
   * Makes every in-flight message of `queueName` visible now, as if its visibility
   * timeout had ended: for a restart after the process holding them died. Returns how many.
   */
  releaseInFlight(queueName: string): Promise<number>;
  /** Moves every visible message of `deadLetterQueue` back to `target` (SQS's DLQ redrive). Returns how many. */
  redrive(deadLetterQueue: string, target: string): Promise<number>;
  /** Resolves when the queue holds no visible and no in-flight message. */
  idle(queueName: string, options?: { timeoutMs?: number; pollIntervalMs?: number }): Promise<void>;
  arn(queueName: string): string;
  /** Stops every consumer started from this instance. */
  close(): Promise<void>;
}

export interface LocalQueueOptions {
  region?: string;
  account?: string;
  now?: () => Date;
}

/** A send the queue refuses, as SQS would (too large, duplicate batch ids, bad name). */
export class QueueRequestError extends Error {
  override name = 'QueueRequestError';
}

/** `idle()` gave up waiting. */
export class QueueIdleTimeoutError extends Error {
  override name = 'QueueIdleTimeoutError';
}

const MAX_BODY_BYTES = 262_144;
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const SENDER_ID = 'AIDAPULSELAKELOCAL';

interface StoredMessage {
  messageId: string;
  body: string;
  sentTimestamp: number;
  deadLetterQueueSourceArn?: string;
}

interface VisibleName {
  seq: string;
  receiveCount: number;
  firstReceive: number;
}

function visibleName(m: VisibleName): string {
  return `${m.seq}_${m.receiveCount}_${m.firstReceive}.json`;
}
function parseVisible(name: string): VisibleName | undefined {
  const match = /^(\d{13}-[0-9a-f-]+)_(\d+)_(\d+)\.json$/.exec(name);
  if (match === null) return undefined;
  return { seq: match[1] ?? '', receiveCount: Number(match[2]), firstReceive: Number(match[3]) };
}
function parseInflight(name: string): (VisibleName & { invisibleUntil: number }) | undefined {
  const match = /^(\d{13})_(\d{13}-[0-9a-f-]+)_(\d+)_(\d+)_[0-9a-f]+\.json$/.exec(name);
  if (match === null) return undefined;
  return {
    invisibleUntil: Number(match[1]),
    seq: match[2] ?? '',
    receiveCount: Number(match[3]),
    firstReceive: Number(match[4]),
  };
}
const pad13 = (ms: number) => String(Math.ceil(ms)).padStart(13, '0');

/** Builds the folder-backed SQS stand-in rooted at `home` (LAKE_HOME). */
export function buildLocalQueue(home: string, options: LocalQueueOptions = {}): LocalQueue {
  const root = join(home, 'queues');
  const tmpDir = join(home, 'tmp');
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const now = options.now ?? (() => new Date());
  const wakers = new Map<string, Set<() => void>>();
  const consumers = new Set<QueueConsumer>();

  function dirs(queueName: string): { visible: string; inflight: string } {
    if (!QUEUE_NAME.test(queueName))
      throw new QueueRequestError(`queue name "${queueName}" must be 1-80 characters of A-Z, a-z, 0-9, - and _`);
    return { visible: join(root, queueName, 'visible'), inflight: join(root, queueName, 'inflight') };
  }
  async function names(dir: string): Promise<string[]> {
    try {
      return (await readdir(dir)).sort();
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
  }
  const arn = (queueName: string) => `arn:aws:sqs:${region}:${account}:${queueName}`;

  async function enqueue(queueName: string, message: StoredMessage, state: Omit<VisibleName, 'seq'>): Promise<void> {
    const { visible } = dirs(queueName);
    const temp = await writeTemp(tmpDir, JSON.stringify(message));
    await renameInto(
      temp,
      join(visible, visibleName({ seq: `${pad13(message.sentTimestamp)}-${message.messageId}`, ...state })),
    );
  }

  /**
   * Makes in-flight messages hidden until `until` or earlier visible again: by
   * default those whose visibility timeout ran out (also those of a crashed
   * process). Returns how many it moved.
   */
  async function reclaim(queueName: string, until = now().getTime()): Promise<number> {
    const { visible, inflight } = dirs(queueName);
    let moved = 0;
    for (const name of await names(inflight)) {
      const parsed = parseInflight(name);
      if (parsed === undefined || parsed.invisibleUntil > until) continue;
      await renameInto(join(inflight, name), join(visible, visibleName(parsed))).then(
        () => moved++,
        (error: unknown) => {
          // ENOENT: another consumer reclaimed or deleted it first.
          if (errorCode(error) !== 'ENOENT') throw error;
        },
      );
    }
    return moved;
  }

  interface Received {
    record: SQSRecord;
  }

  async function receive(queueName: string, max: number, opts: ConsumeOptions): Promise<Received[]> {
    const { visible, inflight } = dirs(queueName);
    const received: Received[] = [];
    const visibilityMs = (opts.visibilityTimeoutSeconds ?? 30) * 1000;
    await mkdir(inflight, { recursive: true });
    for (const name of await names(visible)) {
      if (received.length >= max) break;
      const parsed = parseVisible(name);
      if (parsed === undefined) continue;
      const at = now().getTime();
      const receiveCount = parsed.receiveCount + 1;
      const firstReceive = parsed.firstReceive === 0 ? at : parsed.firstReceive;
      const handle = `${pad13(at + visibilityMs)}_${parsed.seq}_${receiveCount}_${firstReceive}_${randomBytes(6).toString('hex')}.json`;
      try {
        await rename(join(visible, name), join(inflight, handle));
      } catch (error) {
        // ENOENT: another consumer (maybe another process) won this message.
        if (errorCode(error) === 'ENOENT') continue;
        throw error;
      }
      const stored = JSON.parse(await readFile(join(inflight, handle), 'utf8')) as StoredMessage;
      if (
        opts.deadLetterQueue !== undefined &&
        opts.maxReceiveCount !== undefined &&
        parsed.receiveCount >= opts.maxReceiveCount
      ) {
        await enqueue(
          opts.deadLetterQueue,
          { ...stored, deadLetterQueueSourceArn: arn(queueName) },
          { receiveCount: 0, firstReceive: 0 },
        );
        await rm(join(inflight, handle), { force: true });
        continue;
      }
      const record: SQSRecord = {
        messageId: stored.messageId,
        receiptHandle: handle,
        body: stored.body,
        attributes: {
          ApproximateReceiveCount: String(receiveCount),
          SentTimestamp: String(stored.sentTimestamp),
          SenderId: SENDER_ID,
          ApproximateFirstReceiveTimestamp: String(firstReceive),
        },
        messageAttributes: {},
        md5OfBody: createHash('md5').update(stored.body, 'utf8').digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: arn(queueName),
        awsRegion: region,
      };
      if (stored.deadLetterQueueSourceArn !== undefined)
        record.attributes.DeadLetterQueueSourceArn = stored.deadLetterQueueSourceArn;
      received.push({ record });
    }
    return received;
  }

  async function acknowledge(queueName: string, receiptHandle: string): Promise<void> {
    // Gone: the visibility timeout ran out and someone else holds it now; it will be delivered again (at-least-once).
    await unlinkIfExists(join(dirs(queueName).inflight, receiptHandle));
  }

  /** Shortens an in-flight message's invisibility to `seconds` from now (never lengthens it). */
  async function retrySooner(queueName: string, receiptHandle: string, seconds: number): Promise<void> {
    const { inflight } = dirs(queueName);
    const parsed = parseInflight(receiptHandle);
    const until = now().getTime() + seconds * 1000;
    if (parsed === undefined || parsed.invisibleUntil <= until) return;
    // The handle starts with its 13-digit invisible-until time.
    await rename(join(inflight, receiptHandle), join(inflight, `${pad13(until)}${receiptHandle.slice(13)}`)).catch(
      (error: unknown) => {
        if (errorCode(error) !== 'ENOENT') throw error;
      },
    );
  }

  /** Which messages to delete after an invocation, following Lambda's ReportBatchItemFailures rules. */
  function succeeded(batch: SQSRecord[], response: SQSBatchResponse | void): SQSRecord[] {
    if (response === undefined || response === null || !Array.isArray(response.batchItemFailures)) return batch;
    const failed = new Set<string>();
    for (const failure of response.batchItemFailures) {
      const id = failure?.itemIdentifier;
      // An empty or unknown identifier makes Lambda treat the whole batch as failed.
      if (typeof id !== 'string' || id === '' || !batch.some((r) => r.messageId === id)) return [];
      failed.add(id);
    }
    return batch.filter((r) => !failed.has(r.messageId));
  }

  const queue: LocalQueue = {
    async send(queueName, messages: QueueMessage[]) {
      dirs(queueName);
      const ids = new Set<string>();
      for (const message of messages) {
        if (ids.has(message.id))
          throw new QueueRequestError(`batch entry id "${message.id}" is used twice in one send to ${queueName}`);
        ids.add(message.id);
        const size = Buffer.byteLength(message.body, 'utf8');
        if (size > MAX_BODY_BYTES)
          throw new QueueRequestError(
            `message ${message.id} to ${queueName} is ${size} bytes; SQS allows ${MAX_BODY_BYTES}`,
          );
      }
      for (const message of messages) {
        await enqueue(
          queueName,
          { messageId: randomUUID(), body: message.body, sentTimestamp: now().getTime() },
          { receiveCount: 0, firstReceive: 0 },
        );
      }
      for (const wake of wakers.get(queueName) ?? []) wake();
    },

    consume(queueName, handler, opts = {}) {
      dirs(queueName);
      const batchSize = Math.max(1, Math.min(opts.batchSize ?? 10, 10_000));
      const concurrency = Math.max(1, opts.concurrency ?? 2);
      const pollIntervalMs = opts.pollIntervalMs ?? 100;
      const onError = opts.onError ?? reportToStderr(`sqs ${queueName}`);
      const running = new Set<Promise<void>>();
      let stopped = false;
      let wake: () => void = () => undefined;
      const queueWakers = wakers.get(queueName) ?? new Set<() => void>();
      wakers.set(queueName, queueWakers);
      const waker = () => wake();
      queueWakers.add(waker);

      async function invoke(batch: SQSRecord[]): Promise<void> {
        let response: SQSBatchResponse | void;
        try {
          response = await handler({ Records: batch });
        } catch (error) {
          // A thrown handler fails the whole batch: every message reappears when its visibility timeout ends.
          onError(error);
          if (opts.retryAfterSeconds !== undefined)
            for (const record of batch) await retrySooner(queueName, record.receiptHandle, opts.retryAfterSeconds);
          return;
        }
        const done = succeeded(batch, response);
        for (const record of done) await acknowledge(queueName, record.receiptHandle);
        if (opts.retryAfterSeconds !== undefined) {
          for (const record of batch)
            if (!done.includes(record)) await retrySooner(queueName, record.receiptHandle, opts.retryAfterSeconds);
        }
      }

      async function loop(): Promise<void> {
        while (!stopped) {
          try {
            await reclaim(queueName);
            while (!stopped && running.size < concurrency) {
              const batch = await receive(queueName, batchSize, opts);
              if (batch.length === 0) break;
              const task: Promise<void> = invoke(batch.map((b) => b.record))
                .catch(onError)
                .finally(() => {
                  running.delete(task);
                  wake();
                });
              running.add(task);
            }
          } catch (error) {
            onError(error);
          }
          if (stopped) break;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, pollIntervalMs);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = () => undefined;
        }
      }

      const looping = loop();
      const consumer: QueueConsumer = {
        async stop() {
          stopped = true;
          wake();
          queueWakers.delete(waker);
          await looping;
          await Promise.allSettled([...running]);
          consumers.delete(consumer);
        },
      };
      consumers.add(consumer);
      return consumer;
    },

    releaseInFlight: (queueName) => reclaim(queueName, Number.POSITIVE_INFINITY),

    async list(queueName) {
      const { visible, inflight } = dirs(queueName);
      const listed: ListedMessage[] = [];
      for (const [state, dir, parse] of [
        ['visible', visible, parseVisible],
        ['inflight', inflight, parseInflight],
      ] as const) {
        for (const name of await names(dir)) {
          const parsed = parse(name);
          if (parsed === undefined) continue;
          const stored = await readFile(join(dir, name), 'utf8')
            .then((text) => JSON.parse(text) as StoredMessage)
            .catch(() => undefined);
          if (stored === undefined) continue;
          listed.push({
            messageId: stored.messageId,
            body: stored.body,
            state,
            receiveCount: parsed.receiveCount,
            sentTimestamp: stored.sentTimestamp,
          });
        }
      }
      return listed;
    },

    async depth(queueName) {
      const { visible, inflight } = dirs(queueName);
      return {
        visible: (await names(visible)).filter((n) => parseVisible(n)).length,
        inFlight: (await names(inflight)).filter((n) => parseInflight(n)).length,
      };
    },

    async redrive(deadLetterQueue, target) {
      const from = dirs(deadLetterQueue).visible;
      const to = dirs(target).visible;
      let moved = 0;
      for (const name of await names(from)) {
        const parsed = parseVisible(name);
        if (parsed === undefined) continue;
        try {
          await renameInto(
            join(from, name),
            join(to, visibleName({ seq: parsed.seq, receiveCount: 0, firstReceive: 0 })),
          );
          moved += 1;
        } catch (error) {
          if (errorCode(error) !== 'ENOENT') throw error;
        }
      }
      for (const wake of wakers.get(target) ?? []) wake();
      return moved;
    },

    async idle(queueName, opts = {}) {
      const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
      for (;;) {
        const depth = await queue.depth(queueName);
        if (depth.visible === 0 && depth.inFlight === 0) return;
        if (Date.now() > deadline) {
          throw new QueueIdleTimeoutError(
            `${queueName} still holds ${depth.visible} visible and ${depth.inFlight} in-flight messages`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, opts.pollIntervalMs ?? 50));
      }
    },

    arn,

    async close() {
      await Promise.all([...consumers].map((c) => c.stop()));
    },
  };
  return queue;
}
