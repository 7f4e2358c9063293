/**
 * The device telemetry table's layout: one item per reading, keyed so that a
 * correction of a reading rewrites the same item.
 *   pk   `device#<device_serial>`: one device's readings share a stream shard, so they keep their order
 *   sk   `<type>#<the dataset's dedupe key values besides patient and device>`, e.g. `vitals#2026-11-27T08:00:00Z`
 *   type the dataset the reading belongs to (`vitals`, `ecg`, `gait`, `dosage`)
 * plus the reading's values under the dataset contract's column names.
 */
import type { DatasetContract } from '../datasets/contract';
import { findContract } from '../datasets/registry';

export const TELEMETRY_KEY = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** The attribute naming the reading's dataset. */
export const TELEMETRY_TYPE = 'type';

/** Columns the partition key already scopes, so they are not repeated in the sort key. */
const SCOPED_BY_PARTITION = new Set(['patient_id', 'device_serial']);

export class TelemetryItemError extends Error {
  override name = 'TelemetryItemError';
}

/** The item a device writes for `reading` of dataset `contract` (which must carry `device_serial`). */
export function telemetryItem(contract: DatasetContract, reading: Record<string, unknown>): Record<string, unknown> {
  const serial = reading['device_serial'];
  if (typeof serial !== 'string' || serial === '')
    throw new TelemetryItemError(
      `a ${contract.name} reading needs a device_serial to be written to the telemetry table`,
    );
  const identity = contract.dedupeKey
    .filter((column) => !SCOPED_BY_PARTITION.has(column))
    .map((column) => String(reading[column] ?? ''));
  return {
    [TELEMETRY_KEY.partitionKey]: `device#${serial}`,
    [TELEMETRY_KEY.sortKey]: [contract.name, ...identity].join('#'),
    [TELEMETRY_TYPE]: contract.name,
    ...reading,
  };
}

/** The dataset of an item, from its `type` attribute or, for a deleted item (keys only), its sort key; undefined when it names none. */
export function telemetryDataset(attributes: Record<string, unknown>): DatasetContract | undefined {
  const type = attributes[TELEMETRY_TYPE];
  if (typeof type === 'string') return findContract(type);
  const sortKey = attributes[TELEMETRY_KEY.sortKey];
  return typeof sortKey === 'string' ? findContract(sortKey.split('#')[0] ?? '') : undefined;
}
