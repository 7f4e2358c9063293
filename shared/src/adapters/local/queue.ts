/**
 * (Over 300 lines: every operation renames the same message files, and their races read best side by side.)
 *
 * SQS on folders: `$LAKE_HOME/queues/<name>/{visible,inflight}/`, one file per
 * message, named as queue-message-files.ts says. Whoever wins a rename owns the
 * message — across processes, and across a crash and restart. An in-flight
 * message whose visibility timeout ran out is renamed back to visible.
 *
 * This is SQS alone: sends, receives with the visibility timeout, deletes, and
 * the redrive policy (maxReceiveCount -> DLQ). Lambda's polling, batching and
 * partial batch failures live in the local runtime (local/src/runtime/event-sources/).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queue, QueueMessage } from '../../ports';
import { errorCode, renameInto, unlinkIfExists, writeTemp } from './files';
import type { StoredMessage, VisibleName } from './queue-message-files';
import {
  inflightName,
  pad13,
  parseInflight,
  parseVisible,
  visibleName,
  withInvisibleUntil,
} from './queue-message-files';

/** A queue's attributes, as a deploy sets them (SetQueueAttributes). */
export interface QueueAttributes {
  /** `VisibilityTimeout`: how long a received message stays hidden (seconds, fractions allowed; default 30). */
  visibilityTimeoutSeconds?: number;
  /** `RedrivePolicy`: after `maxReceiveCount` receives, the next receive moves the message to `deadLetterQueue`. */
  redrivePolicy?: { maxReceiveCount: number; deadLetterQueue: string };
}

/** A message as ReceiveMessage returns it, with its system attributes. */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    SenderId: string;
    ApproximateFirstReceiveTimestamp: string;
    DeadLetterQueueSourceArn?: string;
  };
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
  /** Sets `queueName`'s visibility timeout and redrive policy for receives from this instance. */
  setAttributes(queueName: string, attributes: QueueAttributes): void;
  /**
   * ReceiveMessage: up to `maxMessages` visible messages, hidden for the visibility
   * timeout. Expired in-flight messages become visible first; a message past its
   * redrive policy's maxReceiveCount moves to the dead-letter queue instead.
   */
  receive(queueName: string, maxMessages: number): Promise<ReceivedMessage[]>;
  /** DeleteMessage. A stale handle is ignored: someone else holds the message now and it will be delivered again. */
  deleteMessage(queueName: string, receiptHandle: string): Promise<void>;
  /** ChangeMessageVisibility that only ever shortens: the message is visible again at most `seconds` from now. */
  shortenVisibility(queueName: string, receiptHandle: string, seconds: number): Promise<void>;
  /** Calls `listener` whenever messages arrive in `queueName` from this instance (a send or a redrive). */
  onMessages(queueName: string, listener: () => void): () => void;
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

/** Builds the folder-backed SQS stand-in rooted at `home` (LAKE_HOME). */
export function buildLocalQueue(home: string, options: LocalQueueOptions = {}): LocalQueue {
  const root = join(home, 'queues');
  const tmpDir = join(home, 'tmp');
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const now = options.now ?? (() => new Date());
  const listeners = new Map<string, Set<() => void>>();
  const attributes = new Map<string, QueueAttributes>();

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
  const announce = (queueName: string) => {
    for (const listener of listeners.get(queueName) ?? []) listener();
  };

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

  async function receive(queueName: string, max: number): Promise<ReceivedMessage[]> {
    const { visible, inflight } = dirs(queueName);
    const { visibilityTimeoutSeconds = 30, redrivePolicy } = attributes.get(queueName) ?? {};
    await reclaim(queueName);
    const received: ReceivedMessage[] = [];
    await mkdir(inflight, { recursive: true });
    for (const name of await names(visible)) {
      if (received.length >= max) break;
      const parsed = parseVisible(name);
      if (parsed === undefined) continue;
      const at = now().getTime();
      const receiveCount = parsed.receiveCount + 1;
      const firstReceive = parsed.firstReceive === 0 ? at : parsed.firstReceive;
      const handle = inflightName(
        { seq: parsed.seq, receiveCount, firstReceive, invisibleUntil: at + visibilityTimeoutSeconds * 1000 },
        randomBytes(6).toString('hex'),
      );
      try {
        await rename(join(visible, name), join(inflight, handle));
      } catch (error) {
        // ENOENT: another consumer (maybe another process) won this message.
        if (errorCode(error) === 'ENOENT') continue;
        throw error;
      }
      const stored = JSON.parse(await readFile(join(inflight, handle), 'utf8')) as StoredMessage;
      if (redrivePolicy !== undefined && parsed.receiveCount >= redrivePolicy.maxReceiveCount) {
        await enqueue(
          redrivePolicy.deadLetterQueue,
          { ...stored, deadLetterQueueSourceArn: arn(queueName) },
          { receiveCount: 0, firstReceive: 0 },
        );
        await rm(join(inflight, handle), { force: true });
        continue;
      }
      received.push({
        messageId: stored.messageId,
        receiptHandle: handle,
        body: stored.body,
        md5OfBody: createHash('md5').update(stored.body, 'utf8').digest('hex'),
        attributes: {
          ApproximateReceiveCount: String(receiveCount),
          SentTimestamp: String(stored.sentTimestamp),
          SenderId: SENDER_ID,
          ApproximateFirstReceiveTimestamp: String(firstReceive),
          ...(stored.deadLetterQueueSourceArn !== undefined
            ? { DeadLetterQueueSourceArn: stored.deadLetterQueueSourceArn }
            : {}),
        },
      });
    }
    return received;
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
      announce(queueName);
    },

    setAttributes(queueName, queueAttributes) {
      dirs(queueName);
      attributes.set(queueName, queueAttributes);
    },

    receive,

    async deleteMessage(queueName, receiptHandle) {
      // Gone: the visibility timeout ran out and someone else holds it now; it will be delivered again (at-least-once).
      await unlinkIfExists(join(dirs(queueName).inflight, receiptHandle));
    },

    async shortenVisibility(queueName, receiptHandle, seconds) {
      const { inflight } = dirs(queueName);
      const parsed = parseInflight(receiptHandle);
      const until = now().getTime() + seconds * 1000;
      if (parsed === undefined || parsed.invisibleUntil <= until) return;
      await rename(join(inflight, receiptHandle), join(inflight, withInvisibleUntil(receiptHandle, until))).catch(
        (error: unknown) => {
          if (errorCode(error) !== 'ENOENT') throw error;
        },
      );
    },

    onMessages(queueName, listener) {
      const queueListeners = listeners.get(queueName) ?? new Set<() => void>();
      listeners.set(queueName, queueListeners);
      queueListeners.add(listener);
      return () => queueListeners.delete(listener);
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
      announce(target);
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
  };
  return queue;
}
