import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { NoSuchKeyError, PreconditionFailedError } from '../../../../src/ports';
import {
  InvalidObjectKeyError,
  InvalidRangeError,
  buildLocalObjectStore,
} from '../../../../src/adapters/local/object-store';

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}
const md5 = (s: string) => `"${createHash('md5').update(s).digest('hex')}"`;

describe('local object store', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-s3-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('puts an object as a plain file with its metadata in a sidecar outside the bucket folder', async () => {
    // Prepare
    const store = buildLocalObjectStore(home);

    // Act
    const { etag } = await store.put('raw-bucket', 'vitals/dropzone/abc.csv', 'hr\n72\n', {
      contentType: 'text/csv',
      metadata: { 'original-key': 'x.csv' },
    });

    // Assess
    expect(etag).toBe(md5('hr\n72\n'));
    expect(await readFile(join(home, 's3', 'raw-bucket', 'vitals', 'dropzone', 'abc.csv'), 'utf8')).toBe('hr\n72\n');
    expect(await readdir(join(home, 's3', 'raw-bucket', 'vitals', 'dropzone'))).toEqual(['abc.csv']);
    expect(await readdir(join(home, 'tmp'))).toEqual([]);
    const info = await store.head('raw-bucket', 'vitals/dropzone/abc.csv');
    expect(info).toMatchObject({ size: 6, etag, contentType: 'text/csv', metadata: { 'original-key': 'x.csv' } });
    expect(await text(await store.get('raw-bucket', 'vitals/dropzone/abc.csv'))).toBe('hr\n72\n');
  });

  it('never shows a reader a partly written object while a put replaces it', async () => {
    const store = buildLocalObjectStore(home);
    const small = 'a'.repeat(10);
    const large = 'b'.repeat(4_000_000);
    await store.put('bucket-a', 'k', small);

    const reads: string[] = [];
    const writing = store.put('bucket-a', 'k', large);
    for (let i = 0; i < 20; i += 1) reads.push(await text(await store.get('bucket-a', 'k')));
    await writing;
    reads.push(await text(await store.get('bucket-a', 'k')));

    expect(reads.every((r) => r === small || r === large)).toBe(true);
    expect(reads.at(-1)).toBe(large);
  });

  it('serves byte ranges with both ends inclusive, clamping the end like S3', async () => {
    const store = buildLocalObjectStore(home);
    await store.put('bucket-a', 'k', '0123456789');

    expect(await text(await store.get('bucket-a', 'k', { start: 2, end: 5 }))).toBe('2345');
    expect(await text(await store.get('bucket-a', 'k', { start: 8, end: 100 }))).toBe('89');
    await expect(store.get('bucket-a', 'k', { start: 10, end: 12 })).rejects.toThrow(InvalidRangeError);
  });

  it('reports missing objects as NoSuchKeyError, head as undefined, and delete as a no-op', async () => {
    const store = buildLocalObjectStore(home);
    await expect(store.get('bucket-a', 'nope')).rejects.toBeInstanceOf(NoSuchKeyError);
    expect(await store.head('bucket-a', 'nope')).toBeUndefined();
    await expect(store.delete('bucket-a', 'nope')).resolves.toBeUndefined();
  });

  it('lets exactly one of many concurrent ifNoneMatch puts win', async () => {
    const store = buildLocalObjectStore(home);
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => store.put('bucket-a', 'complete.json', `writer ${i}`, { ifNoneMatch: '*' })),
    );

    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.every((r) => r.reason instanceof PreconditionFailedError)).toBe(true);
    expect(await text(await store.get('bucket-a', 'complete.json'))).toMatch(/^writer \d+$/);
  });

  it('lets only the writer holding the current ETag replace an object with ifMatch', async () => {
    const store = buildLocalObjectStore(home);
    const { etag } = await store.put('bucket-a', 'manifest.json', 'v1');

    const results = await Promise.allSettled(
      [1, 2, 3, 4].map((i) => store.put('bucket-a', 'manifest.json', `v2 by ${i}`, { ifMatch: etag })),
    );

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    await expect(store.put('bucket-a', 'manifest.json', 'v3', { ifMatch: etag })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
  });

  it('lists keys under a prefix in S3 key order, including files dropped in by hand', async () => {
    const store = buildLocalObjectStore(home);
    await store.put('bucket-a', 'vitals/b.csv', 'b');
    await store.put('bucket-a', 'vitals/a/z.csv', 'z');
    await store.put('bucket-a', 'vitals-old/x.csv', 'x');
    await store.put('bucket-a', 'ecg/e.csv', 'e');
    await mkdir(join(home, 's3', 'bucket-a', 'vitals'), { recursive: true });
    await writeFile(join(home, 's3', 'bucket-a', 'vitals', 'by-hand.csv'), 'hand');

    const listed = [];
    for await (const item of store.list('bucket-a', 'vitals')) listed.push(item);

    expect(listed.map((i) => i.key)).toEqual([
      'vitals-old/x.csv',
      'vitals/a/z.csv',
      'vitals/b.csv',
      'vitals/by-hand.csv',
    ]);
    // No sidecar: the ETag is computed from the bytes, and there is no metadata.
    expect(listed[3]).toMatchObject({ etag: md5('hand'), metadata: {} });
  });

  it('ignores a stale sidecar when a file was replaced by hand', async () => {
    const store = buildLocalObjectStore(home);
    await store.put('bucket-a', 'k.csv', 'old', { metadata: { dataset: 'vitals' } });
    await writeFile(join(home, 's3', 'bucket-a', 'k.csv'), 'replaced by hand');

    const info = await store.head('bucket-a', 'k.csv');

    expect(info).toMatchObject({ etag: md5('replaced by hand'), metadata: {} });
    expect(await store.writtenThroughStore('bucket-a', 'k.csv')).toBe(false);
  });

  it('copies with the source metadata unless new metadata is given, and uploads local files', async () => {
    const store = buildLocalObjectStore(home);
    await store.put('bucket-a', 'src.csv', 'data', { metadata: { dataset: 'vitals' }, contentType: 'text/csv' });
    const file = join(home, 'upload.parquet');
    await writeFile(file, 'PAR1');

    await store.copy({ bucket: 'bucket-a', key: 'src.csv' }, { bucket: 'bucket-b', key: 'kept.csv' });
    await store.copy(
      { bucket: 'bucket-a', key: 'src.csv' },
      { bucket: 'bucket-b', key: 'replaced.csv' },
      { metadata: { dataset: 'ecg' } },
    );
    const uploaded = await store.putFile('bucket-b', 'part.parquet', file);

    expect(await store.head('bucket-b', 'kept.csv')).toMatchObject({
      metadata: { dataset: 'vitals' },
      contentType: 'text/csv',
    });
    expect((await store.head('bucket-b', 'replaced.csv'))?.metadata).toEqual({ dataset: 'ecg' });
    expect(uploaded.etag).toBe(md5('PAR1'));
  });

  it('refuses keys a folder cannot hold safely', async () => {
    const store = buildLocalObjectStore(home);
    await expect(store.put('bucket-a', '../escape.csv', 'x')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.put('bucket-a', 'a//b.csv', 'x')).rejects.toThrow(/path segments/);
  });

  it('removes emptied folders on delete, so DuckDB globs see no stale partitions', async () => {
    const store = buildLocalObjectStore(home);
    await store.put('bucket-a', 'curated/vitals/site=SG/dt=2024-01-01/part.parquet', 'x');

    await store.delete('bucket-a', 'curated/vitals/site=SG/dt=2024-01-01/part.parquet');

    expect(await readdir(join(home, 's3', 'bucket-a'))).toEqual([]);
  });
});
