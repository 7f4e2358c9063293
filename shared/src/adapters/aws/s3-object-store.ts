/**
 * The ObjectStore port on Amazon S3.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ByteRange, ObjectBody, ObjectInfo, ObjectStore, PutOptions } from '../../ports';
import { NoSuchKeyError, PreconditionFailedError } from '../../ports';
import { errorName, httpStatus } from './retry';

/** S3 answers a lost conditional write with 412 PreconditionFailed, or 409 ConditionalRequestConflict when two race. */
function isPreconditionFailure(error: unknown): boolean {
  const name = errorName(error);
  return name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || httpStatus(error) === 412;
}

function isMissing(error: unknown): boolean {
  const name = errorName(error);
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatus(error) === 404;
}

/**
 * A failed write as the port names it: a lost condition is PreconditionFailedError;
 * an If-Match write to a key that is gone is answered 404 by S3, NoSuchKeyError (as locally).
 */
function conditionalWriteError(error: unknown, bucket: string, key: string, options: PutOptions): unknown {
  if (isPreconditionFailure(error)) return new PreconditionFailedError(bucket, key, { cause: error });
  if (options.ifMatch !== undefined && isMissing(error)) return new NoSuchKeyError(bucket, key, { cause: error });
  return error;
}

function conditionalParams(options: PutOptions): { IfNoneMatch?: string; IfMatch?: string } {
  return {
    ...(options.ifNoneMatch !== undefined ? { IfNoneMatch: options.ifNoneMatch } : {}),
    ...(options.ifMatch !== undefined ? { IfMatch: options.ifMatch } : {}),
  };
}

function writeParams(options: PutOptions): { ContentType?: string; Metadata?: Record<string, string> } {
  return {
    ...(options.contentType !== undefined ? { ContentType: options.contentType } : {}),
    ...(options.metadata !== undefined ? { Metadata: options.metadata } : {}),
  };
}

/** CopySource is `bucket/key` with the key URL-encoded segment by segment. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Builds the S3 ObjectStore. Readable bodies go through a managed (multipart when
 * large) upload, since their length is unknown; bytes and strings go through one PutObject.
 */
export function buildS3ObjectStore(client: S3Client): ObjectStore {
  async function upload(bucket: string, key: string, body: Readable, options: PutOptions): Promise<{ etag: string }> {
    try {
      const result = await new Upload({
        client,
        params: { Bucket: bucket, Key: key, Body: body, ...writeParams(options), ...conditionalParams(options) },
      }).done();
      return { etag: result.ETag ?? '' };
    } catch (error) {
      throw conditionalWriteError(error, bucket, key, options);
    }
  }

  return {
    async put(bucket: string, key: string, body: ObjectBody, options: PutOptions = {}) {
      if (body instanceof Readable) return upload(bucket, key, body, options);
      try {
        const result = await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ...writeParams(options),
            ...conditionalParams(options),
          }),
        );
        return { etag: result.ETag ?? '' };
      } catch (error) {
        throw conditionalWriteError(error, bucket, key, options);
      }
    },

    async putFile(bucket: string, key: string, path: string, options: PutOptions = {}) {
      return upload(bucket, key, createReadStream(path), options);
    },

    async get(bucket: string, key: string, range?: ByteRange) {
      try {
        const result = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            ...(range !== undefined ? { Range: `bytes=${range.start}-${range.end}` } : {}),
          }),
        );
        const body = result.Body;
        if (body === undefined) return Readable.from([]);
        if (body instanceof Readable) return body;
        // Outside Node's HTTP handler the SDK may hand back a web stream or blob.
        return Readable.from([await body.transformToByteArray()]);
      } catch (error) {
        if (isMissing(error)) throw new NoSuchKeyError(bucket, key, { cause: error });
        throw error;
      }
    },

    async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
      try {
        const result = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return {
          bucket,
          key,
          size: result.ContentLength ?? 0,
          etag: result.ETag ?? '',
          lastModified: result.LastModified ?? new Date(0),
          metadata: result.Metadata ?? {},
          ...(result.ContentType !== undefined ? { contentType: result.ContentType } : {}),
        };
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },

    async *list(bucket: string, prefix: string): AsyncIterable<ObjectInfo> {
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ...(token !== undefined ? { ContinuationToken: token } : {}),
          }),
        );
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined) continue;
          // Listing does not return user metadata; callers that need it head the object.
          yield {
            bucket,
            key: item.Key,
            size: item.Size ?? 0,
            etag: item.ETag ?? '',
            lastModified: item.LastModified ?? new Date(0),
            metadata: {},
          };
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    },

    async copy(from, to, options: PutOptions = {}) {
      try {
        const result = await client.send(
          new CopyObjectCommand({
            CopySource: copySource(from.bucket, from.key),
            Bucket: to.bucket,
            Key: to.key,
            ...writeParams(options),
            ...(options.metadata !== undefined || options.contentType !== undefined
              ? { MetadataDirective: 'REPLACE' as const }
              : {}),
            ...conditionalParams(options),
          }),
        );
        return { etag: result.CopyObjectResult?.ETag ?? '' };
      } catch (error) {
        if (isPreconditionFailure(error)) throw new PreconditionFailedError(to.bucket, to.key, { cause: error });
        if (errorName(error) === 'NoSuchKey') throw new NoSuchKeyError(from.bucket, from.key, { cause: error });
        throw error;
      }
    },

    async delete(bucket: string, key: string) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async presignGet(bucket, key, options) {
      // The file name is ours (query name and execution id), so it needs no escaping beyond the quotes.
      const command = new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ResponseContentDisposition: `attachment; filename="${options.fileName.replace(/"/g, '')}"`,
      });
      return getSignedUrl(client, command, { expiresIn: options.expiresSeconds });
    },
  };
}
