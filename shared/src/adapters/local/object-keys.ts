/**
 * Which buckets and keys the folder-backed S3 can hold: S3's own limits, less what
 * a file system cannot hold safely (`..` segments, empty segments, its separator)
 * or what the stand-ins reserve (their temp files' prefix).
 */
import { sep } from 'node:path';
import { TEMP_PREFIX } from './files';

/** A bucket or key that S3 would accept but a folder cannot hold safely (e.g. `..` segments). */
export class InvalidObjectKeyError extends Error {
  override name = 'InvalidObjectKeyError';
  constructor(bucket: string, key: string, why: string) {
    super(`s3://${bucket}/${key} cannot be stored locally: ${why}`);
  }
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Throws InvalidObjectKeyError unless `bucket` is an S3 bucket name. */
export function checkBucket(bucket: string): void {
  if (!BUCKET_NAME.test(bucket))
    throw new InvalidObjectKeyError(bucket, '', 'bucket names are 3-63 characters of a-z, 0-9, . and -');
}

/** Throws InvalidObjectKeyError unless `bucket` and `key` can be a bucket folder and a file path under it. */
export function checkKey(bucket: string, key: string): void {
  checkBucket(bucket);
  if (key.length === 0 || key.length > 1024) throw new InvalidObjectKeyError(bucket, key, 'keys are 1-1024 characters');
  const segments = key.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidObjectKeyError(
      bucket,
      key,
      'empty, "." or ".." path segments (and leading or trailing "/") are not supported',
    );
  }
  if (segments.some((s) => s.startsWith(TEMP_PREFIX)))
    throw new InvalidObjectKeyError(bucket, key, `segments starting with ${TEMP_PREFIX} are reserved`);
  if (key.includes('\0') || (sep !== '/' && key.includes(sep)))
    throw new InvalidObjectKeyError(bucket, key, 'the key holds a character the file system reserves');
}
