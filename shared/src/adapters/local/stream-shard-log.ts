/**
 * The shard log of a local DynamoDB stream. Under each shard's folder:
 *   records/<seq>.jsonl   stream records of one write call, named by their first sequence number
 *   failed/<seq>.jsonl    records a consumer handed to its on-failure destination, kept for a replay
 * Sequence numbers are 21 digits, so names and numbers sort alike. A write call's
 * records are one segment per shard, written whole (temp file + rename); a
 * segment is deleted once every record in it is finished (the stream's
 * retention is the raw zone).
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, renameInto, writeTemp } from './files';

/** A record of the stream as the log keeps it. */
export interface StreamRecord {
  record: DynamoDBRecord;
  /** When the record reached the stream (ms), for the batching window. */
  arrivedAtMs: number;
}

/** One shard's log, read by one consumer: new segments in order, finished ones trimmed. */
export interface ShardLog {
  readonly shardId: string;
  /** The records of segments this reader has not read before, oldest segment first. */
  readNew(): Promise<StreamRecord[]>;
  /**
   * Deletes the segments read so far that lie wholly before `oldestPending`, the
   * oldest record not finished yet (all of them when nothing is pending).
   */
  trimBefore(oldestPending: string | undefined): Promise<void>;
  /** Keeps records given up on beside the shard, named by their first sequence number. */
  keepFailed(records: readonly StreamRecord[]): Promise<void>;
}

/** Shards a stream has locally: enough for devices to be processed in parallel, few enough to keep batches full. */
export const SHARDS = 4;

/** The stream's shard ids: stable per table, as DescribeStream lists them. */
export const shardIds = (table: string): string[] =>
  Array.from(
    { length: SHARDS },
    (_, i) =>
      `shardId-${String(i + 1).padStart(20, '0')}-${createHash('sha256').update(`${table}/${i}`).digest('hex').slice(0, 8)}`,
  );

/** The sequence number of a logged record. */
export const sequenceOf = (stored: StreamRecord): string => stored.record.dynamodb?.SequenceNumber ?? '';

const jsonLines = (records: readonly StreamRecord[]) => records.map((r) => `${JSON.stringify(r)}\n`).join('');

function parseRecords(text: string): StreamRecord[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as StreamRecord);
}

/** Appends one write call's records of a shard as a segment (`tmp` holds the temp file). */
export async function appendSegment(shardDir: string, tmp: string, records: readonly StreamRecord[]): Promise<void> {
  const first = records[0];
  if (first === undefined) return;
  await renameInto(await writeTemp(tmp, jsonLines(records)), join(shardDir, 'records', `${sequenceOf(first)}.jsonl`));
}

/** A reader of the shard log in `shardDir` (see the module comment). */
export function openShardLog(shardId: string, shardDir: string, tmp: string): ShardLog {
  const recordsDir = join(shardDir, 'records');
  const readSegments = new Set<string>();
  return {
    shardId,
    async readNew() {
      const names = await readdir(recordsDir).catch((error: unknown) => {
        if (errorCode(error) === 'ENOENT') return [] as string[];
        throw error;
      });
      const fresh = names.filter((n) => n.endsWith('.jsonl') && !readSegments.has(n)).sort();
      const records: StreamRecord[] = [];
      for (const name of fresh) {
        const text = await readFile(join(recordsDir, name), 'utf8').catch((error: unknown) => {
          // Finished and deleted since the listing.
          if (errorCode(error) === 'ENOENT') return undefined;
          throw error;
        });
        if (text === undefined) continue;
        readSegments.add(name);
        records.push(...parseRecords(text));
      }
      return records;
    },
    async trimBefore(oldestPending) {
      const segments = [...readSegments].sort();
      for (const [i, name] of segments.entries()) {
        const following = segments[i + 1];
        // A segment is done when the next one starts at or before the oldest pending record (or nothing is pending).
        const done =
          oldestPending === undefined
            ? true
            : following !== undefined && following.slice(0, -'.jsonl'.length) <= oldestPending;
        if (!done) break;
        await unlink(join(recordsDir, name)).catch(() => undefined);
        readSegments.delete(name);
      }
    },
    async keepFailed(records) {
      const first = records[0];
      if (first === undefined) return;
      await renameInto(
        await writeTemp(tmp, jsonLines(records)),
        join(shardDir, 'failed', `${sequenceOf(first)}.jsonl`),
      );
    },
  };
}
