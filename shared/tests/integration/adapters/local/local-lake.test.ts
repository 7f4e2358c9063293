import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3EventRecord } from 'aws-lambda';
import type { LocalLake } from '../../../../src/adapters/local/index';
import { buildLocalLake } from '../../../../src/adapters/local/index';

const decodeKey = (record: S3EventRecord) => decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));

describe('the composed local lake', () => {
  let home: string;
  let lake: LocalLake;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-all-'));
    lake = buildLocalLake(home, { stage: 'test' });
  });
  afterEach(async () => {
    await lake.close();
    await rm(home, { recursive: true, force: true });
  });

  it('announces a dropped file once, and not again after a restart', async () => {
    const announced: string[] = [];
    const bucket = lake.names.buckets.dropzone;
    lake.store.onObjectCreated(bucket, (r) => void announced.push(decodeKey(r)));
    const watcher = lake.watchBucket(bucket, { intervalMs: 60_000 });
    await writeFile(join(lake.store.bucketPath(bucket), 'a.csv'), 'x');
    await lake.store.put(bucket, 'through-store.csv', 'y');
    await lake.store.idle();

    await watcher.poll(); // first sight: not yet stable
    await watcher.poll(); // stable: announced
    await watcher.poll();
    await lake.store.idle();
    await watcher.stop();

    const restarted = buildLocalLake(home, { stage: 'test' });
    restarted.store.onObjectCreated(bucket, (r) => void announced.push(`after restart: ${decodeKey(r)}`));
    const again = restarted.watchBucket(bucket, { intervalMs: 60_000 });
    await again.poll();
    await again.poll();
    await restarted.store.idle();
    await restarted.close();

    expect(announced).toEqual(['through-store.csv', 'a.csv']);
    expect(JSON.parse(await readFile(join(home, 'state', `folder-watch-${bucket}.json`), 'utf8'))).toHaveProperty([
      'a.csv',
    ]);
  });

  it('creates the stage buckets and composes every port', async () => {
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(join(home, 's3'))).sort()).toEqual(Object.values(lake.names.buckets).sort());
    expect((await lake.keys.pseudonymizationKey()).length).toBe(32);
    expect(lake.names.stage).toBe('test');
  });
});
