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
import type { DynamoDBRecord } from 'aws-lambda';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { streamDeletesKey } from '../lake/keys';
import { canonicalJsonl, landRawJsonl } from './land-raw-jsonl';
import { TELEMETRY_TYPE, telemetryDataset } from '../lake/telemetry-items';
import type { LakeDeps } from '../ports';

/** Items whose `type` names no contract land here, so the planner quarantines them and nothing is lost. */
export const UNKNOWN_STREAM_DATASET = '_unknown';

/** The part of a DynamoDB stream record this needs (the Lambda event's `Records[]` entries fit it). */
export type StreamRecordInput = Pick<DynamoDBRecord, 'eventName' | 'dynamodb' | 'userIdentity'>;

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

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Unmarshalled values to JSON: sets become arrays, binary becomes base64. */
function toJson(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Set) return [...value].map(toJson);
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = toJson(v);
    return out;
  }
  return null;
}

const fromAttributeValues = (image: unknown): Record<string, Json> =>
  toJson(unmarshall(image as Parameters<typeof unmarshall>[0])) as Record<string, Json>;

/** TTL deletions come from the DynamoDB service principal, as AWS documents. */
const isTtlDeletion = (record: StreamRecordInput): boolean =>
  record.userIdentity?.type === 'Service' && record.userIdentity.principalId === 'dynamodb.amazonaws.com';

interface Group {
  dataset: string;
  kind: 'readings' | 'deletes';
  rows: Record<string, Json>[];
  /** Sequence number of the group's first record in the batch. */
  firstSequence: string | undefined;
  firstIndex: number;
}

/** The reading a record carries: its new image without the table's key attributes and the routing `type`. */
function readingOf(record: StreamRecordInput, image: Record<string, Json>): Record<string, Json> {
  const envelope = new Set([...Object.keys(record.dynamodb?.Keys ?? {}), TELEMETRY_TYPE]);
  return Object.fromEntries(Object.entries(image).filter(([name]) => !envelope.has(name)));
}

/**
 * Unmarshalls the batch and lands one raw JSONL object per dataset, and one
 * deletion record per dataset. Groups are written in the order of their first
 * record; on the first write that fails it stops and reports that group's first
 * sequence number, as AWS documents for stream batch item failures (Lambda retries
 * from there; records landed twice dedupe downstream on the dataset's key).
 * A record that cannot be unmarshalled is reported the same way, so it reaches
 * the stream's on-failure destination after the retries instead of being
 * dropped, and the device's later readings wait behind it.
 */
export async function landStreamBatch(
  deps: Pick<LakeDeps, 'store' | 'clock' | 'names'>,
  records: readonly StreamRecordInput[],
): Promise<StreamBatchOutcome> {
  const groups = new Map<string, Group>();
  let skipped = 0;
  let poison: { index: number; sequence: string | undefined } | undefined;
  for (const [index, record] of records.entries()) {
    const change = record.dynamodb;
    const image = change?.NewImage;
    const removed = record.eventName === 'REMOVE';
    if ((removed ? change?.Keys : image) === undefined) {
      skipped += 1;
      continue;
    }
    let line: Record<string, Json>;
    let dataset: string;
    try {
      if (removed) {
        const keys = fromAttributeValues(change?.Keys);
        dataset = telemetryDataset(keys)?.name ?? UNKNOWN_STREAM_DATASET;
        const at = change?.ApproximateCreationDateTime;
        line = {
          keys,
          removed_at: at === undefined ? null : new Date(at * 1000).toISOString(),
          cause: isTtlDeletion(record) ? 'ttl' : 'delete',
          sequence_number: change?.SequenceNumber ?? null,
        };
      } else {
        const item = fromAttributeValues(image);
        dataset = telemetryDataset(item)?.name ?? UNKNOWN_STREAM_DATASET;
        // An unknown type keeps the whole item, so whoever reads the quarantine sees what came.
        line = dataset === UNKNOWN_STREAM_DATASET ? item : readingOf(record, item);
      }
    } catch {
      // Landing stops at this record: everything before it is still landed below.
      poison = { index, sequence: change?.SequenceNumber };
      break;
    }
    const kind = removed ? 'deletes' : 'readings';
    let group = groups.get(`${kind}/${dataset}`);
    if (group === undefined) {
      group = { dataset, kind, rows: [], firstSequence: change?.SequenceNumber, firstIndex: index };
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
