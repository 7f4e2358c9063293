/**
 * JSON Lines reader: one JSON object per line. The header is the union of the
 * objects' keys in the order first seen, which is only known after the whole
 * file; so reading is two passes over the (immutable) raw object:
 * `scanJsonlHeader` then `readJsonl` with that header. Neither pass holds more
 * than one line.
 */
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { SourceDialect, SourceItem } from './records';
import { EmptySourceError } from './records';

/** Items per yielded batch: the consumer's per-step cost is paid per batch, not per line. */
const BATCH = 1024;

const DIALECT: SourceDialect = { format: 'jsonl', encoding: 'utf-8', bom: false, decimalComma: false };

export interface JsonLine {
  line: number;
  text: string;
}

/** The non-blank lines of a JSON Lines stream with their line numbers (1-based), a leading BOM dropped. */
export async function* jsonLines(input: Readable): AsyncGenerator<JsonLine> {
  const reader = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const raw of reader) {
      line++;
      // A UTF-8 BOM survives decoding as U+FEFF at the start of the first line.
      const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (text.trim() === '') continue;
      yield { line, text };
    }
  } finally {
    reader.close();
    input.destroy();
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** JSON values as the text a CSV would have held: null and absent become '', objects and arrays their JSON. */
function asField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * First pass: the union of keys over every parseable object line, in the order
 * first seen. Throws EmptySourceError when no line holds an object.
 */
export async function scanJsonlHeader(input: Readable): Promise<string[]> {
  const keys = new Set<string>();
  let objects = 0;
  for await (const { text } of jsonLines(input)) {
    const object = parseObject(text);
    if (object === undefined) continue;
    objects++;
    for (const key of Object.keys(object)) keys.add(key);
  }
  if (objects === 0) throw new EmptySourceError('jsonl');
  return [...keys];
}

/**
 * Second pass: yields, in batches of up to BATCH items, the header, then one
 * `row` per object line with its values in header order ('' for a missing key),
 * or a `problem` for a line that is not a JSON object. Record numbers count
 * non-blank lines.
 */
export async function* readJsonl(input: Readable, header: readonly string[]): AsyncGenerator<SourceItem[]> {
  let batch: SourceItem[] = [{ kind: 'header', fields: [...header], dialect: { ...DIALECT } }];
  let record = 0;
  for await (const { line, text } of jsonLines(input)) {
    record++;
    const object = parseObject(text);
    if (object === undefined)
      batch.push({
        kind: 'problem',
        record,
        line,
        rule: 'malformed_json',
        reason: `record ${record} (line ${line}) is not a JSON object`,
      });
    else batch.push({ kind: 'row', fields: header.map((key) => asField(object[key])), record, line });
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
