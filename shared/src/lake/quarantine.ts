/**
 * Quarantine: a whole file the lake cannot process is copied, with a reason a
 * user can act on, to `quarantine/<dataset | _unknown>/<contentHash>/` in the
 * rejects bucket. The source is never deleted: a failure must not lose raw data.
 */
import { createHash } from 'node:crypto';
import type { ObjectStore } from '../ports';
import { quarantineKey, quarantineReasonKey } from './keys';
import type { LakeNames } from './names';

/** The reason.json written beside a quarantined copy. */
export interface QuarantineReason {
  reason: string;
  source: { bucket: string; key: string };
  dataset?: string;
  contentHash?: string;
  /** When the file was quarantined (ISO 8601 UTC). */
  at: string;
}

/** Streams an object through SHA-256 (hex): the content hash that names it in the lake. */
export async function sha256OfObject(store: ObjectStore, bucket: string, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await store.get(bucket, key)) hash.update(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array));
  return hash.digest('hex');
}

/**
 * Copies `source` into quarantine with a reason.json and returns where the copy is.
 * `reason` must already be free of raw identifiers (it is read by people without
 * access to the raw zone). Without `ids.contentHash` the object is hashed here.
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
  const bucket = names.buckets.rejects;
  const key = quarantineKey(ids.dataset, contentHash, source.key);
  // The copy carries no user metadata from the source: only what quarantine itself says.
  await store.copy(source, { bucket, key }, { metadata: { 'content-sha256': contentHash, ...(ids.dataset !== undefined ? { dataset: ids.dataset } : {}) } });
  const record: QuarantineReason = {
    reason,
    source: { bucket: source.bucket, key: source.key },
    ...(ids.dataset !== undefined ? { dataset: ids.dataset } : {}),
    contentHash,
    at: (ids.at ?? new Date()).toISOString(),
  };
  await store.put(bucket, quarantineReasonKey(ids.dataset, contentHash), `${JSON.stringify(record, null, 2)}\n`, { contentType: 'application/json' });
  return { bucket, key };
}
