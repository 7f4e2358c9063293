/**
 * The DynamoDB Streams path: a batch of telemetry-table changes becomes one
 * immutable raw JSONL object per dataset, `<dataset>/stream/<sha256>.jsonl`,
 * which the raw bucket's ObjectCreated event then plans like any landed file,
 * with the same contract validation as files.
 *
 * What each change means:
 * - INSERT and MODIFY land the new image. A MODIFY is a correction: it carries
 *   the same dedupe key as the reading it corrects and lands later, so the
 *   curated views keep it instead (later ingests win; within one object, later lines).
 * - REMOVE (an app's delete, or TTL expiring a hot item) is recorded under
 *   `_stream_deletes/<dataset>/`, with the keys, when, and whether TTL did it.
 *   The lake keeps the reading: the table is the devices' hot store, the lake
 *   their history.
 */
import { streamDeletesKey } from '../lake/keys';
import { canonicalJsonl, landRawJsonl } from './land-raw-jsonl';
import { TELEMETRY_TYPE, telemetryDataset } from '../lake/telemetry-items';
import type { LakeDeps } from '../ports';

/** Items whose `type` names no contract land here, so the planner quarantines them and nothing is lost. */
export const UNKNOWN_STREAM_DATASET = '_unknown';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * One change of the telemetry table, as the edge decoded it from the stream
 * record (edge/dynamodb-stream.ts): plain JSON, no wire format.
 */
export type TelemetryChange =
  /** INSERT or MODIFY: the item as it now is, and the names of the table's key attributes. */
  | { kind: 'written'; sequenceNumber?: string; item: Record<string, Json>; keyNames: readonly string[] }
  /** REMOVE: the removed item's keys, when (epoch seconds, if known), and whether TTL removed it. */
  | { kind: 'removed'; sequenceNumber?: string; keys: Record<string, Json>; removedAtSeconds?: number; byTtl: boolean }
  /** A record with neither a new image nor keys: nothing to land. */
  | { kind: 'empty' }
  /** A record whose image could not be decoded: landing stops at it. */
  | { kind: 'undecodable'; sequenceNumber?: string };

export interface StreamBatchOutcome {
  landed: { dataset: string; kind: 'readings' | 'deletes'; key: string; records: number; duplicate: boolean }[];
  /** Records with neither a new image nor keys: nothing to land. */
  skipped: number;
  /**
   * The sequence number of the first record that could not be persisted; Lambda
   * retries the batch from it (ReportBatchItemFailures). Undefined when all landed.
   */
  failedSequenceNumber?: string;
  /** Why landing stopped (error name and message; no record values), for the log. */
  failureReason?: string;
}

interface Group {
  dataset: string;
  kind: 'readings' | 'deletes';
  rows: Record<string, Json>[];
  /** Sequence number of the group's first record in the batch. */
  firstSequence: string | undefined;
  firstIndex: number;
}

/** The reading a written item carries: the item without the table's key attributes and the routing `type`. */
function readingOf(keyNames: readonly string[], item: Record<string, Json>): Record<string, Json> {
  const envelope = new Set([...keyNames, TELEMETRY_TYPE]);
  return Object.fromEntries(Object.entries(item).filter(([name]) => !envelope.has(name)));
}

/**
 * Lands one raw JSONL object per dataset, and one deletion record per dataset.
 * Groups are written in the order of their first change; on the first write
 * that fails it stops and reports that group's first sequence number, as AWS
 * documents for stream batch item failures (Lambda retries from there; records
 * landed twice dedupe downstream on the dataset's key). A change that could not
 * be decoded is reported the same way, so it reaches the stream's on-failure
 * destination after the retries instead of being dropped, and the device's
 * later readings wait behind it.
 */
export async function landStreamBatch(
  deps: Pick<LakeDeps, 'store' | 'clock' | 'names'>,
  changes: readonly TelemetryChange[],
): Promise<StreamBatchOutcome> {
  const groups = new Map<string, Group>();
  let skipped = 0;
  let poison: { index: number; sequence: string | undefined } | undefined;
  for (const [index, change] of changes.entries()) {
    if (change.kind === 'empty') {
      skipped += 1;
      continue;
    }
    if (change.kind === 'undecodable') {
      // Landing stops at this change: everything before it is still landed below.
      poison = { index, sequence: change.sequenceNumber };
      break;
    }
    let line: Record<string, Json>;
    let dataset: string;
    if (change.kind === 'removed') {
      dataset = telemetryDataset(change.keys)?.name ?? UNKNOWN_STREAM_DATASET;
      line = {
        keys: change.keys,
        removed_at:
          change.removedAtSeconds === undefined ? null : new Date(change.removedAtSeconds * 1000).toISOString(),
        cause: change.byTtl ? 'ttl' : 'delete',
        sequence_number: change.sequenceNumber ?? null,
      };
    } else {
      dataset = telemetryDataset(change.item)?.name ?? UNKNOWN_STREAM_DATASET;
      // An unknown type keeps the whole item, so whoever reads the quarantine sees what came.
      line = dataset === UNKNOWN_STREAM_DATASET ? change.item : readingOf(change.keyNames, change.item);
    }
    const kind = change.kind === 'removed' ? 'deletes' : 'readings';
    let group = groups.get(`${kind}/${dataset}`);
    if (group === undefined) {
      group = { dataset, kind, rows: [], firstSequence: change.sequenceNumber, firstIndex: index };
      groups.set(`${kind}/${dataset}`, group);
    }
    group.rows.push(line);
  }

  const landed: StreamBatchOutcome['landed'] = [];
  for (const group of [...groups.values()].sort((a, b) => a.firstIndex - b.firstIndex)) {
    const keyOf =
      group.kind === 'deletes'
        ? (hash: string) => streamDeletesKey(group.dataset, hash)
        : // Records naming no known dataset are kept raw beside the datasets, never dropped (`_unknown` is not a dataset name).
          group.dataset === UNKNOWN_STREAM_DATASET
          ? (hash: string) => `${UNKNOWN_STREAM_DATASET}/stream/${hash}.jsonl`
          : undefined;
    try {
      const raw = await landRawJsonl(deps, {
        dataset: group.dataset,
        source: 'stream',
        jsonl: canonicalJsonl(group.rows),
        origin: { bucket: 'dynamodb-stream', key: `telemetry/${group.dataset}` },
        ...(keyOf !== undefined ? { keyOf } : {}),
      });
      landed.push({
        dataset: group.dataset,
        kind: group.kind,
        key: raw.raw.key,
        records: group.rows.length,
        duplicate: raw.duplicate,
      });
    } catch (error) {
      const failedAt = poison !== undefined && poison.index < group.firstIndex ? poison.sequence : group.firstSequence;
      const failureReason = error instanceof Error ? `${error.name}: ${error.message}` : 'non-error thrown';
      return { landed, skipped, failureReason, ...(failedAt !== undefined ? { failedSequenceNumber: failedAt } : {}) };
    }
  }
  if (poison === undefined) return { landed, skipped };
  return {
    landed,
    skipped,
    failureReason: 'a record has an image that is not valid DynamoDB AttributeValue JSON',
    ...(poison.sequence !== undefined ? { failedSequenceNumber: poison.sequence } : {}),
  };
}
