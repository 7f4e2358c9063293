/**
 * DynamoDB stream records as the core reads them: each record's image decoded
 * from DynamoDB's AttributeValue wire format into plain JSON (sets become
 * arrays, binary becomes base64, big numbers text), with what the record says
 * about the change. Decoding only what the change needs (the keys of a REMOVE,
 * the new image otherwise), as landing always has.
 */
import type { DynamoDBRecord } from 'aws-lambda';
// The pure AttributeValue codec: it touches no storage (see the exception in .dependency-cruiser.cjs).
import { fromAttributeValues } from '../adapters/aws/dynamodb-json';
import type { Json, TelemetryChange } from '../ingest/land-stream-batch';

/** The part of a DynamoDB stream record this needs (the Lambda event's `Records[]` entries fit it). */
export type StreamRecordInput = Pick<DynamoDBRecord, 'eventName' | 'dynamodb' | 'userIdentity'>;

/** Decoded values to JSON: sets become arrays, binary becomes base64. */
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

const decode = (image: unknown): Record<string, Json> =>
  toJson(fromAttributeValues(image as Parameters<typeof fromAttributeValues>[0])) as Record<string, Json>;

/** TTL deletions come from the DynamoDB service principal, as AWS documents. */
const isTtlDeletion = (record: StreamRecordInput): boolean =>
  record.userIdentity?.type === 'Service' && record.userIdentity.principalId === 'dynamodb.amazonaws.com';

/** One stream record as a telemetry change; a record whose image does not decode is `undecodable`. */
export function telemetryChangeOf(record: StreamRecordInput): TelemetryChange {
  const change = record.dynamodb;
  const sequence = change?.SequenceNumber !== undefined ? { sequenceNumber: change.SequenceNumber } : {};
  if (record.eventName === 'REMOVE') {
    if (change?.Keys === undefined) return { kind: 'empty' };
    try {
      const at = change.ApproximateCreationDateTime;
      return {
        kind: 'removed',
        ...sequence,
        keys: decode(change.Keys),
        ...(at !== undefined ? { removedAtSeconds: at } : {}),
        byTtl: isTtlDeletion(record),
      };
    } catch {
      return { kind: 'undecodable', ...sequence };
    }
  }
  if (change?.NewImage === undefined) return { kind: 'empty' };
  try {
    return { kind: 'written', ...sequence, item: decode(change.NewImage), keyNames: Object.keys(change.Keys ?? {}) };
  } catch {
    return { kind: 'undecodable', ...sequence };
  }
}

/** Every record of a stream batch as a telemetry change, in order. */
export function telemetryChangesOf(records: readonly StreamRecordInput[]): TelemetryChange[] {
  return records.map(telemetryChangeOf);
}
