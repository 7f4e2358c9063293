/**
 * Records that reach the lake through a program (a pushed batch, a connector's
 * page) land the same way: one canonical JSONL object named by its SHA-256,
 * `<dataset>/<source>/<sha256>.jsonl`, written with a conditional put so the
 * same records landed twice are one object. The raw bucket's ObjectCreated
 * event then plans it like any landed file.
 */
import { createHash } from 'node:crypto';
import type { LakeDeps } from '../ports';
import { PreconditionFailedError } from '../ports';
import type { RawSource } from '../lake/keys';
import { rawKey } from '../lake/keys';
import { RAW_METADATA } from './land-dropped-object';

/** One JSON line per record, in order: the same records always make the same bytes and hash. */
export function canonicalJsonl(records: readonly Record<string, unknown>[]): Buffer {
  return Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface RawJsonlLanding {
  dataset: string;
  source: RawSource;
  jsonl: Buffer;
  /**
   * Where the records came from, for the raw object's metadata: a kind of sender
   * (`ingest-api`, `connector`) and a path naming the route or the connector,
   * never a secret, a record value or a third party's URL query.
   */
  origin: { bucket: string; key: string };
  /**
   * The object's key from its content hash, for objects kept outside the raw
   * layout (stream records of no known dataset, the telemetry table's deletions);
   * default `<dataset>/<source>/<sha256>.jsonl`.
   */
  keyOf?: (contentHash: string) => string;
}

export interface RawJsonlLanded {
  contentHash: string;
  raw: { bucket: string; key: string };
  /** True when an object with this content had already landed. */
  duplicate: boolean;
}

/** Lands `jsonl` as an immutable raw object; once `put` resolves the object is durable (S3's answer). */
export async function landRawJsonl(
  deps: Pick<LakeDeps, 'store' | 'clock' | 'names'>,
  landing: RawJsonlLanding,
): Promise<RawJsonlLanded> {
  const contentHash = sha256Hex(landing.jsonl);
  const raw = {
    bucket: deps.names.buckets.raw,
    key: landing.keyOf?.(contentHash) ?? rawKey(landing.dataset, landing.source, contentHash, 'jsonl'),
  };
  try {
    await deps.store.put(raw.bucket, raw.key, landing.jsonl, {
      contentType: 'application/x-ndjson',
      ifNoneMatch: '*',
      metadata: {
        [RAW_METADATA.originalBucket]: landing.origin.bucket,
        [RAW_METADATA.originalKey]: landing.origin.key,
        [RAW_METADATA.landedAt]: deps.clock.now().toISOString(),
        [RAW_METADATA.dataset]: landing.dataset,
        [RAW_METADATA.contentSha256]: contentHash,
      },
    });
    return { contentHash, raw, duplicate: false };
  } catch (error) {
    // The raw zone is immutable: identical content already landed is the same object, accepted once.
    if (!(error instanceof PreconditionFailedError)) throw error;
    return { contentHash, raw, duplicate: true };
  }
}
