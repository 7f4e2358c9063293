/**
 * S3 event notification records, shaped exactly as S3 sends them to Lambda
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html),
 * so handlers are tested against the real shape, including S3's key encoding.
 */
import type { S3EventRecord } from 'aws-lambda';
import { randomBytes } from 'node:crypto';

export type ObjectCreatedEventName = 'ObjectCreated:Put' | 'ObjectCreated:Copy';

export interface S3EventSettings {
  region: string;
  /** S3's notification configuration id (the rule name on the bucket). */
  configurationId: string;
  principalId: string;
}

/**
 * Encodes an object key the way S3 does in event notifications: form-style
 * percent-encoding with spaces as `+`, `/` left as is (so `dt=2024-01-01`
 * arrives as `dt%3D2024-01-01`). Handlers decode with
 * `decodeURIComponent(key.replace(/\+/g, ' '))`.
 */
export function encodeS3EventKey(key: string): string {
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.*/]/.test(char)) out += char;
    else if (char === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

let lastSequence = 0n;

/** A hex sequencer that grows with every event of this process, as S3's does per key. */
function nextSequencer(now: Date): string {
  const candidate = BigInt(now.getTime()) * 1_000_000n;
  lastSequence = candidate > lastSequence ? candidate : lastSequence + 1n;
  return lastSequence.toString(16).toUpperCase().padStart(18, '0');
}

/** Builds one ObjectCreated record for `bucket`/`key` (the key raw, encoded here). */
export function objectCreatedRecord(
  settings: S3EventSettings,
  input: {
    bucket: string;
    key: string;
    size: number;
    etag: string;
    eventName: ObjectCreatedEventName;
    eventTime: Date;
  },
): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: settings.region,
    eventTime: input.eventTime.toISOString(),
    eventName: input.eventName,
    userIdentity: { principalId: settings.principalId },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: {
      'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-amz-id-2': randomBytes(48).toString('base64'),
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: settings.configurationId,
      bucket: {
        name: input.bucket,
        ownerIdentity: { principalId: settings.principalId },
        arn: `arn:aws:s3:::${input.bucket}`,
      },
      object: {
        key: encodeS3EventKey(input.key),
        size: input.size,
        eTag: input.etag.replace(/"/g, ''),
        sequencer: nextSequencer(input.eventTime),
      },
    },
  };
}
