/**
 * `lake telemetry put <file.jsonl>`: writes items into the local telemetry
 * table by hand, as devices do. Each line is either a full table item (with
 * `pk` and `sk`) or a reading with its `type` (the dataset), whose keys are
 * made as devices make them (lake/telemetry-items). The lines are all checked
 * before any is written, so a bad file writes nothing; problems name lines,
 * never values.
 */
import { createReadStream } from 'node:fs';
import type { PlainItem } from '@pulse-lake/shared/adapters/local/index';
import { findContract } from '@pulse-lake/shared/datasets/registry';
import { jsonLines } from '@pulse-lake/shared/formats/jsonl';
import {
  TELEMETRY_KEY,
  TELEMETRY_TYPE,
  telemetryItem,
  TelemetryItemError,
} from '@pulse-lake/shared/lake/telemetry-items';

/** At most this many problems are listed; the count says how many there were. */
const PROBLEMS_SHOWN = 10;
/** Items per write: one stream segment each, like a device gateway's BatchWriteItem calls. */
const WRITE_BATCH = 500;

export class TelemetryFileError extends Error {
  override name = 'TelemetryFileError';
}

function itemOfLine(value: unknown): PlainItem | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a JSON object';
  const fields = value as PlainItem;
  if (fields[TELEMETRY_KEY.partitionKey] !== undefined && fields[TELEMETRY_KEY.sortKey] !== undefined) return fields;
  const type = fields[TELEMETRY_TYPE];
  if (typeof type !== 'string')
    return `has neither ${TELEMETRY_KEY.partitionKey} and ${TELEMETRY_KEY.sortKey} nor a ${TELEMETRY_TYPE} naming its dataset`;
  const contract = findContract(type);
  if (contract === undefined) return `has a ${TELEMETRY_TYPE} that names no dataset`;
  const { [TELEMETRY_TYPE]: _type, ...reading } = fields;
  try {
    return telemetryItem(contract, reading);
  } catch (error) {
    if (error instanceof TelemetryItemError) return error.message;
    throw error;
  }
}

/** Reads a JSON Lines file of items; throws TelemetryFileError listing the lines that cannot be items. */
export async function readTelemetryItems(path: string): Promise<PlainItem[]> {
  const items: PlainItem[] = [];
  const problems: string[] = [];
  for await (const { line, text } of jsonLines(createReadStream(path))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      problems.push(`line ${line} is not JSON`);
      continue;
    }
    const item = itemOfLine(parsed);
    if (typeof item === 'string') problems.push(`line ${line} ${item}`);
    else items.push(item);
  }
  if (problems.length > 0) {
    const more = problems.length > PROBLEMS_SHOWN ? `\n  … and ${problems.length - PROBLEMS_SHOWN} more` : '';
    throw new TelemetryFileError(
      `${problems.length} line(s) of ${path} cannot be written, so none was:\n  ${problems.slice(0, PROBLEMS_SHOWN).join('\n  ')}${more}`,
    );
  }
  return items;
}

/** Writes `items` in batches; returns how many were written. */
export async function putTelemetryItems(
  put: (items: PlainItem[]) => Promise<{ written: number }>,
  items: readonly PlainItem[],
): Promise<number> {
  let written = 0;
  for (let start = 0; start < items.length; start += WRITE_BATCH)
    written += (await put(items.slice(start, start + WRITE_BATCH))).written;
  return written;
}
