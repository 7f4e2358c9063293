/**
 * Quarantine: a whole file the lake cannot process is copied to
 * `_quarantine/<dataset | _unknown>/<contentHash>/` in the raw bucket (it is raw
 * data, so it stays where raw data is restricted), and a reason a user can act
 * on goes to `quarantine/.../reason.json` in the rejects bucket, which holds no
 * raw data. The source is never deleted: a failure must not lose raw data.
 */
import { createHash } from 'node:crypto';
import type { LakeNames, ObjectStore } from '../ports';
import { quarantineCopyKey, quarantineReasonKey } from './keys';

/** The reason.json of a quarantined file. No source key: a file name may name a patient. */
export interface QuarantineReason {
  reason: string;
  /** Where the quarantined copy is (raw bucket). */
  copy: { bucket: string; key: string };
  dataset?: string;
  contentHash?: string;
  /** When the file was quarantined (ISO 8601 UTC). */
  at: string;
}

/** Streams an object through SHA-256 (hex): the content hash that names it in the lake. */
export async function sha256OfObject(store: ObjectStore, bucket: string, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await store.get(bucket, key))
    hash.update(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array));
  return hash.digest('hex');
}

/**
 * Copies `source` into quarantine with a reason.json and returns where the copy is.
 * `reason` must already be free of raw identifiers and of the file's name (it is
 * read by people without access to the raw zone). Without `ids.contentHash` the object is hashed here.
 * Idempotent: quarantining the same content again overwrites the same keys.
 */
export async function quarantineObject(
  store: ObjectStore,
  names: LakeNames,
  source: { bucket: string; key: string },
  reason: string,
  ids: { dataset?: string; contentHash?: string; at?: Date },
): Promise<{ bucket: string; key: string }> {
  const contentHash = ids.contentHash ?? (await sha256OfObject(store, source.bucket, source.key));
  const copy = { bucket: names.buckets.raw, key: quarantineCopyKey(ids.dataset, contentHash, source.key) };
  // The copy carries none of the source's user metadata, only what quarantine says, and where it came from (S3 metadata is ASCII).
  const metadata = {
    'content-sha256': contentHash,
    'original-bucket': source.bucket,
    'original-key': encodeURI(source.key),
    ...(ids.dataset !== undefined ? { dataset: ids.dataset } : {}),
  };
  await store.copy(source, copy, { metadata });
  const record: QuarantineReason = {
    reason,
    copy,
    ...(ids.dataset !== undefined ? { dataset: ids.dataset } : {}),
    contentHash,
    at: (ids.at ?? new Date()).toISOString(),
  };
  await store.put(
    names.buckets.rejects,
    quarantineReasonKey(ids.dataset, contentHash),
    `${JSON.stringify(record, null, 2)}\n`,
    { contentType: 'application/json' },
  );
  return copy;
}
