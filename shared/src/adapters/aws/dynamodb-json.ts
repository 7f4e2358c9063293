/**
 * DynamoDB's AttributeValue wire format (`{ "S": "..." }`, `{ "N": "72" }`), the
 * shape of stream records and table items. The one place that imports AWS's
 * codec, so the local table stand-in writes exactly what DynamoDB Streams send.
 */
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from 'aws-lambda';

/** A plain object as a DynamoDB item (undefined values dropped, as the SDK's document client does). */
export function toAttributeValues(item: Record<string, unknown>): Record<string, AttributeValue> {
  return marshall(item, { removeUndefinedValues: true }) as Record<string, AttributeValue>;
}

/** A DynamoDB item as a plain object (numbers as numbers, sets as Sets, binary as Uint8Array). */
export function fromAttributeValues(image: Record<string, AttributeValue>): Record<string, unknown> {
  return unmarshall(image as Parameters<typeof unmarshall>[0]);
}
