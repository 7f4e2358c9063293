/**
 * What every ObjectStore does, whatever it stores on: run by object-store.local.test.ts
 * (folders under a temp LAKE_HOME) and object-store.aws.test.ts (the S3 adapter over
 * the fake S3 of fakes/s3.ts). A behaviour that holds on one and not the other is a
 * drift between the lake on a laptop and the lake on AWS.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ObjectStore } from '../../src/ports';
import { NoSuchKeyError, PreconditionFailedError } from '../../src/ports';

export interface ObjectStoreSubject {
  store: ObjectStore;
  /** A bucket that exists and starts empty. */
  bucket: string;
  /** A folder for files to upload with putFile. */
  scratchDir: string;
}

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

async function keysOf(listing: AsyncIterable<{ key: string }>): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of listing) keys.push(item.key);
  return keys;
}

/** Defines the ObjectStore contract; `open` gives a fresh subject per test. */
export function objectStoreContract(open: () => Promise<ObjectStoreSubject>): void {
  let store: ObjectStore;
  let bucket: string;
  let scratchDir: string;
  beforeEach(async () => {
    ({ store, bucket, scratchDir } = await open());
  });

  it('reads back what was put, and heads its size, quoted MD5 ETag, content type and metadata', async () => {
    // Act
    const written = await store.put(bucket, 'a/b.json', '{"n":1}', {
      contentType: 'application/json',
      metadata: { source: 'push' },
    });
    // Assess
    expect(written.etag).toBe(`"${createHash('md5').update('{"n":1}').digest('hex')}"`);
    expect(await text(await store.get(bucket, 'a/b.json'))).toBe('{"n":1}');
    expect(await store.head(bucket, 'a/b.json')).toMatchObject({
      bucket,
      key: 'a/b.json',
      size: 7,
      etag: written.etag,
      contentType: 'application/json',
      metadata: { source: 'push' },
    });
  });

  it('stores the same bytes, with the same ETag, from a string, a stream and a file', async () => {
    const path = join(scratchDir, 'upload.csv');
    await writeFile(path, 'x,y\n1,2\n');

    const fromString = await store.put(bucket, 'string.csv', 'x,y\n1,2\n');
    const fromStream = await store.put(
      bucket,
      'stream.csv',
      Readable.from([Buffer.from('x,y\n'), Buffer.from('1,2\n')]),
    );
    const fromFile = await store.putFile(bucket, 'file.csv', path);

    expect(fromStream.etag).toBe(fromString.etag);
    expect(fromFile.etag).toBe(fromString.etag);
    expect(await text(await store.get(bucket, 'file.csv'))).toBe('x,y\n1,2\n');
    expect(await text(await store.get(bucket, 'stream.csv'))).toBe('x,y\n1,2\n');
  });

  it('throws NoSuchKeyError for a missing key on get, and heads it as undefined', async () => {
    await expect(store.get(bucket, 'nothing/here.csv')).rejects.toBeInstanceOf(NoSuchKeyError);
    expect(await store.head(bucket, 'nothing/here.csv')).toBeUndefined();
  });

  it('reads a byte range with both ends inclusive, an end past the object clamped to its last byte', async () => {
    await store.put(bucket, 'range.txt', '0123456789');

    expect(await text(await store.get(bucket, 'range.txt', { start: 2, end: 4 }))).toBe('234');
    expect(await text(await store.get(bucket, 'range.txt', { start: 7, end: 100 }))).toBe('789');
  });

  it('writes with ifNoneMatch only while the key is free, refusing with PreconditionFailedError after', async () => {
    await store.put(bucket, 'claim.json', 'first', { ifNoneMatch: '*' });

    await expect(store.put(bucket, 'claim.json', 'second', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect(await text(await store.get(bucket, 'claim.json'))).toBe('first');
  });

  it('writes with ifMatch over the version it names, refusing another ETag with PreconditionFailedError', async () => {
    const first = await store.put(bucket, 'state.json', 'v1');
    const second = await store.put(bucket, 'state.json', 'v2', { ifMatch: first.etag });

    await expect(store.put(bucket, 'state.json', 'v3', { ifMatch: first.etag })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect(await text(await store.get(bucket, 'state.json'))).toBe('v2');
    expect((await store.head(bucket, 'state.json'))?.etag).toBe(second.etag);
  });

  it('throws NoSuchKeyError for an ifMatch write to a key deleted meanwhile', async () => {
    const written = await store.put(bucket, 'gone.json', 'v1');
    await store.delete(bucket, 'gone.json');

    await expect(store.put(bucket, 'gone.json', 'v2', { ifMatch: written.etag })).rejects.toBeInstanceOf(
      NoSuchKeyError,
    );
  });

  it('lists every key under a prefix in UTF-8 binary order, with size and ETag, whatever the page size', async () => {
    for (const key of ['p/b.csv', 'p/a.csv', 'p/sub/z.csv', 'p/B.csv', 'p/é.csv', 'pq/x.csv', 'other/p.csv'])
      await store.put(bucket, key, key);
    const etag = (await store.head(bucket, 'p/a.csv'))?.etag;

    const items: { key: string; size: number; etag: string }[] = [];
    for await (const item of store.list(bucket, 'p/')) items.push(item);

    expect(items.map((i) => i.key)).toEqual(['p/B.csv', 'p/a.csv', 'p/b.csv', 'p/sub/z.csv', 'p/é.csv']);
    expect(items[1]).toMatchObject({ key: 'p/a.csv', size: 7, etag });
    expect(await keysOf(store.list(bucket, 'p'))).toHaveLength(6);
    expect(await keysOf(store.list(bucket, 'none/'))).toEqual([]);
  });

  it('copies with the source content type and metadata, or with new ones when given', async () => {
    const source = await store.put(bucket, 'src.json', '{}', { contentType: 'application/json', metadata: { a: '1' } });

    const kept = await store.copy({ bucket, key: 'src.json' }, { bucket, key: 'kept.json' });
    await store.copy({ bucket, key: 'src.json' }, { bucket, key: 'new.json' }, { metadata: { b: '2' } });

    expect(kept.etag).toBe(source.etag);
    expect(await store.head(bucket, 'kept.json')).toMatchObject({
      contentType: 'application/json',
      metadata: { a: '1' },
    });
    expect((await store.head(bucket, 'new.json'))?.metadata).toEqual({ b: '2' });
    expect(await text(await store.get(bucket, 'new.json'))).toBe('{}');
  });

  it('throws NoSuchKeyError when the copy source is missing', async () => {
    await expect(store.copy({ bucket, key: 'missing.json' }, { bucket, key: 'to.json' })).rejects.toBeInstanceOf(
      NoSuchKeyError,
    );
  });

  it('deletes an object, and deleting a key that is not there is fine', async () => {
    await store.put(bucket, 'd/x.csv', 'x');

    await store.delete(bucket, 'd/x.csv');
    await store.delete(bucket, 'd/never.csv');

    expect(await store.head(bucket, 'd/x.csv')).toBeUndefined();
    expect(await keysOf(store.list(bucket, 'd/'))).toEqual([]);
  });
}
