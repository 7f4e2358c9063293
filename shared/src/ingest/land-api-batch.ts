/**
 * The REST push path: a batch of records posted to the ingest API becomes one
 * immutable raw JSONL object named by its SHA-256, `<dataset>/api/<sha256>.jsonl`.
 * The raw bucket's ObjectCreated event then plans it like any landed file.
 */
import { RefusalError, type RefusalKind } from '../refusal';
import { gunzipSync } from 'node:zlib';
import type { DatasetContract } from '../datasets/contract';
import { findContract } from '../datasets/registry';
import { canonicalJsonl, landRawJsonl, sha256Hex } from './land-raw-jsonl';
import type { LakeDeps } from '../ports';

/** API Gateway's payload limit; a batch above it is refused before parsing. */
export const MAX_API_BATCH_BYTES = 10 * 1024 * 1024;
/** A gzip body may unpack to this much at most: real batches compress 5-10x; bombs much more. */
export const MAX_UNPACKED_BATCH_BYTES = 64 * 1024 * 1024;

/** How many problems a 400 lists: enough to fix a client, not a dump of the body. */
const MAX_PROBLEMS = 5;

const JSON_TYPES = new Set(['application/json']);
const NDJSON_TYPES = new Set([
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
  'application/jsonlines',
]);

export interface ApiBatchRequest {
  dataset: string;
  /** The Content-Type header as sent (parameters such as charset are ignored). */
  contentType: string | undefined;
  /** The body as bytes (API Gateway's base64 body decoded) or text. */
  body: Uint8Array | string;
  /** The Content-Encoding header: `gzip` bodies are unpacked, within a bound. */
  contentEncoding?: string | undefined;
}

export interface ApiBatchLanded {
  /** The SHA-256 of the raw object: the same batch posted twice lands once. */
  batchId: string;
  dataset: string;
  records: number;
  raw: { bucket: string; key: string };
  /** True when an identical batch had already been landed. */
  duplicate: boolean;
}

/**
 * The batch was refused; the message is written for the API caller and never
 * echoes the body's values (they may be patient data).
 */
export class ApiBatchRejectedError extends RefusalError {
  override name = 'ApiBatchRejectedError';
  constructor(kind: ApiBatchRefusal, message: string, details?: { problems: string[] }, options?: { cause?: unknown }) {
    super(kind, API_BATCH_REFUSAL_CODES[kind], message, details, options);
  }
}

/** The ways a push is refused, each with its stable code. */
const API_BATCH_REFUSAL_CODES = {
  invalid: 'malformed_batch',
  not_found: 'unknown_dataset',
  too_large: 'batch_too_large',
  unsupported_format: 'unsupported_media_type',
} as const satisfies Partial<Record<RefusalKind, string>>;
type ApiBatchRefusal = keyof typeof API_BATCH_REFUSAL_CODES;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function parseRecords(text: string, format: 'json' | 'ndjson'): Record<string, unknown>[] {
  const problems: string[] = [];
  const records: Record<string, unknown>[] = [];
  const take = (value: unknown, where: string) => {
    if (isRecord(value)) records.push(value);
    else if (problems.length < MAX_PROBLEMS) problems.push(`${where} is ${kindOf(value)}, expected a JSON object`);
  };
  if (format === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // JSON.parse's message quotes the input; the body may hold patient data, so it is not repeated.
      throw new ApiBatchRejectedError(
        'invalid',
        'the body is not valid JSON; send a JSON array of objects, or NDJSON with Content-Type application/x-ndjson',
      );
    }
    if (!Array.isArray(parsed))
      throw new ApiBatchRejectedError('invalid', `the body is ${kindOf(parsed)}; expected a JSON array of objects`);
    parsed.forEach((value, i) => {
      take(value, `record ${i + 1}`);
    });
  } else {
    const lines = text.split(/\r?\n/);
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        take(JSON.parse(line), `line ${i + 1}`);
      } catch {
        if (problems.length < MAX_PROBLEMS) problems.push(`line ${i + 1} is not valid JSON`);
      }
    });
  }
  if (problems.length > 0)
    throw new ApiBatchRejectedError('invalid', `the batch has malformed records: ${problems.join('; ')}`, { problems });
  if (records.length === 0) throw new ApiBatchRejectedError('invalid', 'the batch holds no records');
  return records;
}

/** The body as sent, unpacked when it is gzip. */
function unpack(body: Buffer, contentEncoding: string | undefined): Buffer {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return body;
  if (encoding !== 'gzip')
    throw new ApiBatchRejectedError(
      'unsupported_format',
      `Content-Encoding ${encoding.slice(0, 32)} is not accepted; send the body as is, or gzip`,
    );
  try {
    return gunzipSync(body, { maxOutputLength: MAX_UNPACKED_BATCH_BYTES });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new ApiBatchRejectedError(
        'too_large',
        `the batch unpacks to more than ${MAX_UNPACKED_BATCH_BYTES / 2 ** 20} MiB; split it`,
      );
    throw new ApiBatchRejectedError('invalid', 'the body is not valid gzip although Content-Encoding says gzip');
  }
}

/** The contract of a dataset named in a push; refused as not found when there is none. */
export function knownDataset(name: string): DatasetContract {
  const contract = findContract(name);
  if (contract === undefined)
    throw new ApiBatchRejectedError(
      'not_found',
      `unknown dataset ${JSON.stringify(name.slice(0, 64))}; see the dataset contracts for the names accepted`,
    );
  return contract;
}

/** A validated batch, canonical and named, not landed yet. */
export interface PreparedApiBatch {
  batchId: string;
  dataset: string;
  records: number;
  jsonl: Buffer;
}

/**
 * Validates a pushed batch and names it by the SHA-256 of its canonical JSONL.
 * Throws ApiBatchRejectedError: unknown dataset (not found), unsupported content
 * type or encoding, body over 10 MB or unpacking past its bound (too large),
 * malformed body (invalid, with the first problems).
 */
export function prepareApiBatch(request: ApiBatchRequest): PreparedApiBatch {
  const contract = knownDataset(request.dataset);
  const mediaType = (request.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const format = JSON_TYPES.has(mediaType) ? 'json' : NDJSON_TYPES.has(mediaType) ? 'ndjson' : undefined;
  if (format === undefined) {
    throw new ApiBatchRejectedError(
      'unsupported_format',
      `Content-Type ${mediaType === '' ? '(none)' : mediaType} is not accepted; send application/json (an array of objects) or application/x-ndjson`,
    );
  }
  const sent = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : Buffer.from(request.body);
  if (sent.length > MAX_API_BATCH_BYTES) {
    throw new ApiBatchRejectedError(
      'too_large',
      `the batch is ${sent.length} bytes; the limit is ${MAX_API_BATCH_BYTES} bytes (10 MB): split it`,
    );
  }
  const records = parseRecords(unpack(sent, request.contentEncoding).toString('utf8'), format);
  // One canonical line per record, so the same records sent as JSON or NDJSON land as the same object.
  const jsonl = canonicalJsonl(records);
  return { batchId: sha256Hex(jsonl), dataset: contract.name, records: records.length, jsonl };
}

/** Lands a prepared batch as one immutable raw JSONL object; an identical batch landed before is the same batch. */
export async function landPreparedBatch(
  deps: Pick<LakeDeps, 'store' | 'clock' | 'names'>,
  batch: PreparedApiBatch,
): Promise<ApiBatchLanded> {
  const { raw, duplicate } = await landRawJsonl(deps, {
    dataset: batch.dataset,
    source: 'api',
    jsonl: batch.jsonl,
    origin: { bucket: 'ingest-api', key: `v1/ingest/${batch.dataset}` },
  });
  return { batchId: batch.batchId, dataset: batch.dataset, records: batch.records, raw, duplicate };
}
