/**
 * Amazon S3 as `aws-sdk-client-mock` plays it for the contract suites: an in-memory
 * bucket answering PutObject, GetObject, HeadObject, ListObjectsV2, CopyObject and
 * DeleteObject as the S3 API reference documents them (quoted MD5 ETags, NoSuchKey
 * and 404 NotFound, 412 PreconditionFailed for If-None-Match / If-Match, a 404 for
 * If-Match on a missing key, inclusive byte ranges clamped to the object,
 * ListObjectsV2 in UTF-8 binary order with continuation tokens).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

interface StoredObject {
  body: Buffer;
  etag: string;
  lastModified: Date;
  contentType?: string;
  metadata: Record<string, string>;
}

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
}

async function bytesOf(body: unknown): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }
  throw new TypeError('the fake S3 takes string, bytes or a Node stream as a body');
}

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * Mocks every S3Client of this test file with buckets `buckets`. ListObjectsV2
 * answers `listPageSize` keys a page (S3's MaxKeys default is 1,000; a small one
 * makes a few objects span pages).
 */
export function fakeS3(buckets: string[], options: { listPageSize?: number } = {}): S3Client {
  const mock = mockClient(S3Client);
  const store = new Map(buckets.map((bucket) => [bucket, new Map<string, StoredObject>()]));
  const pageSize = options.listPageSize ?? 1000;

  const bucketOf = (name: string | undefined) => {
    const bucket = store.get(name ?? '');
    if (bucket === undefined) throw s3Error('NoSuchBucket', 404);
    return bucket;
  };
  const checkConditions = (
    current: StoredObject | undefined,
    input: { IfNoneMatch?: string | undefined; IfMatch?: string | undefined },
  ) => {
    if (input.IfNoneMatch === '*' && current !== undefined) throw s3Error('PreconditionFailed', 412);
    if (input.IfMatch !== undefined) {
      if (current === undefined) throw s3Error('NoSuchKey', 404);
      if (current.etag !== input.IfMatch) throw s3Error('PreconditionFailed', 412);
    }
  };
  const save = (
    bucket: Map<string, StoredObject>,
    key: string,
    body: Buffer,
    contentType: string | undefined,
    metadata: Record<string, string> | undefined,
  ) => {
    const object: StoredObject = {
      body,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      lastModified: new Date(),
      metadata: { ...(metadata ?? {}) },
      ...(contentType !== undefined ? { contentType } : {}),
    };
    bucket.set(key, object);
    return object;
  };

  mock.on(PutObjectCommand).callsFake(async (input) => {
    const bucket = bucketOf(input.Bucket);
    const key = input.Key ?? '';
    checkConditions(bucket.get(key), input);
    const object = save(bucket, key, await bytesOf(input.Body), input.ContentType, input.Metadata);
    return { ETag: object.etag };
  });

  mock.on(GetObjectCommand).callsFake(async (input) => {
    const object = bucketOf(input.Bucket).get(input.Key ?? '');
    if (object === undefined) throw s3Error('NoSuchKey', 404);
    let body = object.body;
    if (input.Range !== undefined) {
      const [, start, end] = /^bytes=(\d+)-(\d+)$/.exec(input.Range) ?? [];
      if (Number(start) >= body.length) throw s3Error('InvalidRange', 416);
      body = body.subarray(Number(start), Math.min(Number(end), body.length - 1) + 1);
    }
    return {
      Body: Readable.from([body]) as unknown as GetObjectCommandOutput['Body'],
      ContentLength: body.length,
      ETag: object.etag,
    };
  });

  mock.on(HeadObjectCommand).callsFake(async (input) => {
    const object = bucketOf(input.Bucket).get(input.Key ?? '');
    // HEAD has no body, so S3 cannot say NoSuchKey: the SDK names the 404 NotFound.
    if (object === undefined) throw s3Error('NotFound', 404);
    return {
      ContentLength: object.body.length,
      ETag: object.etag,
      LastModified: object.lastModified,
      Metadata: { ...object.metadata },
      ...(object.contentType !== undefined ? { ContentType: object.contentType } : {}),
    };
  });

  mock.on(ListObjectsV2Command).callsFake(async (input) => {
    const keys = [...bucketOf(input.Bucket).keys()]
      .filter((key) => key.startsWith(input.Prefix ?? ''))
      .filter((key) => input.ContinuationToken === undefined || utf8Order(key, input.ContinuationToken) >= 0)
      .sort(utf8Order);
    const page = keys.slice(0, pageSize);
    const bucket = bucketOf(input.Bucket);
    return {
      Contents: page.map((key) => {
        const object = bucket.get(key) as StoredObject;
        return { Key: key, Size: object.body.length, ETag: object.etag, LastModified: object.lastModified };
      }),
      KeyCount: page.length,
      IsTruncated: keys.length > pageSize,
      ...(keys.length > pageSize ? { NextContinuationToken: keys[pageSize] } : {}),
    };
  });

  mock.on(CopyObjectCommand).callsFake(async (input) => {
    const [sourceBucket = '', ...segments] = (input.CopySource ?? '').split('/');
    const source = bucketOf(sourceBucket).get(segments.map(decodeURIComponent).join('/'));
    if (source === undefined) throw s3Error('NoSuchKey', 404);
    const bucket = bucketOf(input.Bucket);
    const key = input.Key ?? '';
    checkConditions(bucket.get(key), input);
    const replace = input.MetadataDirective === 'REPLACE';
    const object = replace
      ? save(bucket, key, source.body, input.ContentType, input.Metadata)
      : save(bucket, key, source.body, source.contentType, source.metadata);
    return { CopyObjectResult: { ETag: object.etag, LastModified: object.lastModified } };
  });

  mock.on(DeleteObjectCommand).callsFake(async (input) => {
    // Deleting a key that is not there succeeds (204), as S3 does.
    bucketOf(input.Bucket).delete(input.Key ?? '');
    return {};
  });

  return new S3Client({ region: 'ap-southeast-1', credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' } });
}
