import { Readable } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { buildS3ObjectStore } from '../../../../src/adapters/aws/s3-object-store';
import { NoSuchKeyError, PreconditionFailedError } from '../../../../src/ports';

const s3 = mockClient(S3Client);

function serviceError(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
}

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

describe('S3 object store', () => {
  beforeEach(() => s3.reset());

  it("presigns a GET that expires and names the downloaded file, signed with the function's credentials", async () => {
    const store = buildS3ObjectStore(
      new S3Client({
        region: 'ap-southeast-1',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      }),
    );
    const url = new URL(
      await (store.presignGet?.('pulse-lake-prod-query-results', 'downloads/abc.csv', {
        expiresSeconds: 900,
        fileName: 'daily_vitals-abc.csv',
      }) ?? ''),
    );
    expect(url.hostname).toBe('pulse-lake-prod-query-results.s3.ap-southeast-1.amazonaws.com');
    expect(url.pathname).toBe('/downloads/abc.csv');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/ap-southeast-1\/s3\/aws4_request$/);
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(url.searchParams.get('response-content-disposition')).toBe('attachment; filename="daily_vitals-abc.csv"');
  });

  it('asks S3 for an inclusive byte range', async () => {
    // Prepare
    // In Node the SDK's body is the HTTP response stream, a Readable.
    s3.on(GetObjectCommand).resolves({
      Body: Readable.from([Buffer.from('bcd')]) as unknown as GetObjectCommandOutput['Body'],
    });
    const store = buildS3ObjectStore(new S3Client({ region: 'ap-southeast-1' }));
    // Act
    const body = await store.get('raw', 'vitals/dropzone/abc.csv', { start: 1, end: 3 });
    // Assess
    expect(await text(body)).toBe('bcd');
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'raw',
      Key: 'vitals/dropzone/abc.csv',
      Range: 'bytes=1-3',
    });
  });

  it('maps a missing object to NoSuchKeyError on get and to undefined on head', async () => {
    s3.on(GetObjectCommand).rejects(serviceError('NoSuchKey', 404));
    s3.on(HeadObjectCommand).rejects(serviceError('NotFound', 404));
    const store = buildS3ObjectStore(new S3Client({ region: 'ap-southeast-1' }));

    await expect(store.get('raw', 'missing')).rejects.toBeInstanceOf(NoSuchKeyError);
    await expect(store.head('raw', 'missing')).resolves.toBeUndefined();
  });

  it('returns head metadata as S3 reports it', async () => {
    const modified = new Date('2024-05-01T00:00:00Z');
    s3.on(HeadObjectCommand).resolves({
      ContentLength: 42,
      ETag: '"abc"',
      LastModified: modified,
      Metadata: { dataset: 'vitals' },
      ContentType: 'text/csv',
    });
    const store = buildS3ObjectStore(new S3Client({ region: 'ap-southeast-1' }));

    const info = await store.head('raw', 'k');

    expect(info).toEqual({
      bucket: 'raw',
      key: 'k',
      size: 42,
      etag: '"abc"',
      lastModified: modified,
      metadata: { dataset: 'vitals' },
      contentType: 'text/csv',
    });
  });

  it('passes IfNoneMatch and maps a 412 to PreconditionFailedError', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('PreconditionFailed', 412));
    const store = buildS3ObjectStore(new S3Client({ region: 'ap-southeast-1' }));

    await expect(
      store.put('curated', '_manifests/vitals/h/complete.json', '{}', { ifNoneMatch: '*' }),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      Bucket: 'curated',
      Key: '_manifests/vitals/h/complete.json',
      IfNoneMatch: '*',
    });
  });

  it('maps a ConditionalRequestConflict (409, concurrent conditional writes) to PreconditionFailedError', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('ConditionalRequestConflict', 409));
    const store = buildS3ObjectStore(new S3Client({ region: 'ap-southeast-1' }));

    await expect(store.put('curated', 'k', 'x', { ifMatch: '"etag"' })).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({ IfMatch: '"etag"' });
  });

  it('writes content type and metadata and returns the ETag', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"e1"' });
    const store = buildS3ObjectStore(new S3Client({ region: 'ap-southeast-1' }));

    const result = await store.put('raw', 'k', new Uint8Array([1, 2]), {
      contentType: 'application/x-ndjson',
      metadata: { dataset: 'vitals' },
    });

    expect(result).toEqual({ etag: '"e1"' });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      ContentType: 'application/x-ndjson',
      Metadata: { dataset: 'vitals' },
    });
  });

  it('uploads a local file with a managed upload', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"f1"' });
    const dir = mkdtempSync(join(tmpdir(), 's3-store-'));
    const path = join(dir, 'part.parquet');
    writeFileSync(path, 'PAR1');
    const store = buildS3ObjectStore(new S3Client({ region: 'ap-southeast-1' }));

    const result = await store.putFile('curated', 'curated/vitals/site=SG/dt=2024-05-01/part-x-0000.parquet', path, {
      ifNoneMatch: '*',
    });

    expect(result.etag).toBe('"f1"');
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      Key: 'curated/vitals/site=SG/dt=2024-05-01/part-x-0000.parquet',
      IfNoneMatch: '*',
    });
  });

  it('follows ListObjectsV2 continuation tokens across pages', async () => {
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({
      Contents: [{ Key: 'a', Size: 1, ETag: '"1"' }],
      IsTruncated: true,
      NextContinuationToken: 't2',
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: 't2' }).resolves({
      Contents: [{ Key: 'b', Size: 2, ETag: '"2"' }],
      IsTruncated: false,
    });
    const store = buildS3ObjectStore(new S3Client({ region: 'ap-southeast-1' }));

    const keys: string[] = [];
    for await (const item of store.list('raw', 'vitals/')) keys.push(item.key);

    expect(keys).toEqual(['a', 'b']);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(2);
  });

  it('copies with an URL-encoded CopySource and replaces metadata when given', async () => {
    s3.on(CopyObjectCommand).resolves({ CopyObjectResult: { ETag: '"c"' } });
    const store = buildS3ObjectStore(new S3Client({ region: 'ap-southeast-1' }));

    const result = await store.copy(
      { bucket: 'drop', key: 'in box/vitals 1.csv' },
      { bucket: 'raw', key: 'vitals/dropzone/h.csv' },
      { metadata: { dataset: 'vitals' } },
    );

    expect(result.etag).toBe('"c"');
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toMatchObject({
      CopySource: 'drop/in%20box/vitals%201.csv',
      Bucket: 'raw',
      Key: 'vitals/dropzone/h.csv',
      MetadataDirective: 'REPLACE',
      Metadata: { dataset: 'vitals' },
    });
  });
});
