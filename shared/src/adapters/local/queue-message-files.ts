/**
 * How the local SQS queue names its message files (see queue.ts): a message's
 * mutable state lives in its file NAME, so every state change is one atomic rename.
 *   visible/<sentMs>-<messageId>_<receiveCount>_<firstReceiveMs>.json
 *   inflight/<invisibleUntilMs>_<sentMs>-<messageId>_<receiveCount>_<firstReceiveMs>_<token>.json
 * The inflight name is the receipt handle.
 */

/** A message file's content: what never changes after the send. */
export interface StoredMessage {
  messageId: string;
  body: string;
  sentTimestamp: number;
  deadLetterQueueSourceArn?: string;
}

/** The state a visible message's file name carries. */
export interface VisibleName {
  /** `<sentMs>-<messageId>`: sorts in send order. */
  seq: string;
  receiveCount: number;
  /** 0 until the first receive. */
  firstReceive: number;
}

/** The state an in-flight message's file name (its receipt handle) carries. */
export interface InflightName extends VisibleName {
  invisibleUntil: number;
}

/** Milliseconds as 13 digits, so names sort by time. */
export const pad13 = (ms: number): string => String(Math.ceil(ms)).padStart(13, '0');

/** The file name of a visible message. */
export function visibleName(message: VisibleName): string {
  return `${message.seq}_${message.receiveCount}_${message.firstReceive}.json`;
}

/** The state of a visible message from its file name; undefined for a file that is not one. */
export function parseVisible(name: string): VisibleName | undefined {
  const match = /^(\d{13}-[0-9a-f-]+)_(\d+)_(\d+)\.json$/.exec(name);
  if (match === null) return undefined;
  return { seq: match[1] ?? '', receiveCount: Number(match[2]), firstReceive: Number(match[3]) };
}

/** The file name (receipt handle) of a message received now, hidden until `invisibleUntil`. */
export function inflightName(message: InflightName, token: string): string {
  return `${pad13(message.invisibleUntil)}_${message.seq}_${message.receiveCount}_${message.firstReceive}_${token}.json`;
}

/** The state of an in-flight message from its receipt handle; undefined for a file that is not one. */
export function parseInflight(name: string): InflightName | undefined {
  const match = /^(\d{13})_(\d{13}-[0-9a-f-]+)_(\d+)_(\d+)_[0-9a-f]+\.json$/.exec(name);
  if (match === null) return undefined;
  return {
    invisibleUntil: Number(match[1]),
    seq: match[2] ?? '',
    receiveCount: Number(match[3]),
    firstReceive: Number(match[4]),
  };
}

/** The same receipt handle, hidden until `until` instead (the handle starts with its 13-digit invisible-until time). */
export const withInvisibleUntil = (receiptHandle: string, until: number): string =>
  `${pad13(until)}${receiptHandle.slice(13)}`;
