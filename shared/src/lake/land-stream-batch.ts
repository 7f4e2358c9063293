/**
 * The DynamoDB Streams path: a batch of telemetry-table changes becomes one
 * immutable raw JSONL object per dataset, `<dataset>/stream/<sha256>.jsonl`,
 * which the raw bucket's ObjectCreated event then plans like any landed file.
 */
import { createHash } from 'node:crypto';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { findContract } from '../datasets/registry';
import { rawKey } from './keys';
import type { LakeDeps } from '../ports';
import { PreconditionFailedError } from '../ports';

/** Items whose `dataset` attribute names no contract land here, so the planner quarantines them and nothing is lost. */
export const UNKNOWN_STREAM_DATASET = '_unknown';

/** The part of a DynamoDB stream record this needs (the Lambda event's `Records[]` entries fit it). */
export interface StreamRecordInput {
  eventName?: string;
  dynamodb?: {
    /** Marshalled AttributeValues, as the stream delivers them. */
    NewImage?: Record<string, unknown>;
    SequenceNumber?: string;
  };
}

export interface StreamBatchOutcome {
  landed: { dataset: string; key: string; records: number; duplicate: boolean }[];
  /** REMOVE events and records without a new image: nothing to land. */
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

function datasetOf(item: Record<string, Json>): string {
  const name = item['dataset'];
  if (typeof name !== 'string') return UNKNOWN_STREAM_DATASET;
  return findContract(name)?.name ?? UNKNOWN_STREAM_DATASET;
}

interface Group {
  dataset: string;
  lines: string[];
  /** Sequence number of the group's first record in the batch. */
  firstSequence: string | undefined;
  firstIndex: number;
}

/**
 * Unmarshalls the new images, groups them by their `dataset` attribute and lands
 * one raw JSONL object per dataset. Groups are written in the order of their first
 * record; on the first write that fails it stops and reports that group's first
 * sequence number, as AWS documents for stream batch item failures (Lambda retries
 * from there; records landed twice dedupe downstream on the dataset's key).
 * A record that cannot be unmarshalled is reported the same way, so it reaches
 * the stream's on-failure destination after the retries instead of being dropped.
 */
export async function landStreamBatch(deps: Pick<LakeDeps, 'store' | 'clock' | 'names'>, records: readonly StreamRecordInput[]): Promise<StreamBatchOutcome> {
  const groups = new Map<string, Group>();
  let skipped = 0;
  let poison: { index: number; sequence: string | undefined } | undefined;
  for (const [index, record] of records.entries()) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName === 'REMOVE' || image === undefined) {
      skipped += 1;
      continue;
    }
    let item: Record<string, Json>;
    try {
      item = toJson(unmarshall(image as Parameters<typeof unmarshall>[0])) as Record<string, Json>;
    } catch {
      // Landing stops at this record: everything before it is still landed below.
      poison = { index, sequence: record.dynamodb?.SequenceNumber };
      break;
    }
    const dataset = datasetOf(item);
    let group = groups.get(dataset);
    if (group === undefined) {
      group = { dataset, lines: [], firstSequence: record.dynamodb?.SequenceNumber, firstIndex: index };
      groups.set(dataset, group);
    }
    group.lines.push(JSON.stringify(item));
  }

  const landed: StreamBatchOutcome['landed'] = [];
  const landedAt = deps.clock.now().toISOString();
  for (const group of [...groups.values()].sort((a, b) => a.firstIndex - b.firstIndex)) {
    const body = Buffer.from(group.lines.map((line) => `${line}\n`).join(''), 'utf8');
    const hash = createHash('sha256').update(body).digest('hex');
    // Records naming no known dataset are kept raw beside the datasets, never dropped (`_unknown` is not a dataset name).
    const key = group.dataset === UNKNOWN_STREAM_DATASET ? `${UNKNOWN_STREAM_DATASET}/stream/${hash}.jsonl` : rawKey(group.dataset, 'stream', hash, 'jsonl');
    let duplicate = false;
    try {
      await deps.store.put(deps.names.buckets.raw, key, body, {
        contentType: 'application/x-ndjson',
        ifNoneMatch: '*',
        metadata: {
          'original-bucket': 'dynamodb-stream',
          'original-key': `telemetry/${group.dataset}`,
          'landed-at': landedAt,
          dataset: group.dataset,
          'content-sha256': hash,
        },
      });
    } catch (error) {
      if (error instanceof PreconditionFailedError) {
        duplicate = true;
      } else {
        const failedAt = poison !== undefined && poison.index < group.firstIndex ? poison.sequence : group.firstSequence;
        const failureReason = error instanceof Error ? `${error.name}: ${error.message}` : 'non-error thrown';
        return { landed, skipped, failureReason, ...(failedAt !== undefined ? { failedSequenceNumber: failedAt } : {}) };
      }
    }
    landed.push({ dataset: group.dataset, key, records: group.lines.length, duplicate });
  }
  if (poison === undefined) return { landed, skipped };
  return {
    landed,
    skipped,
    failureReason: 'a record has a NewImage that is not valid DynamoDB AttributeValue JSON',
    ...(poison.sequence !== undefined ? { failedSequenceNumber: poison.sequence } : {}),
  };
}
