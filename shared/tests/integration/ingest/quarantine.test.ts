import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalLake } from '../../../src/adapters/local/index';
import { buildLocalLake } from '../../../src/adapters/local/index';
import { quarantineObject } from '../../../src/lake/quarantine';

describe('quarantine', () => {
  let home: string;
  let lake: LocalLake;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-quarantine-'));
    lake = buildLocalLake(home);
  });
  afterEach(async () => {
    await lake.close();
    await rm(home, { recursive: true, force: true });
  });

  it('copies the file into the raw bucket, writes its reason to rejects, and leaves the source in place', async () => {
    // Prepare
    const content = 'a;b\n1;2\n';
    const source = { bucket: lake.names.buckets.dropzone, key: 'inbox/odd.csv' };
    await lake.store.put(source.bucket, source.key, content);
    const hash = createHash('sha256').update(content).digest('hex');

    // Act
    const copy = await quarantineObject(lake.store, lake.names, source, 'cannot tell which dataset the file holds', {
      at: new Date('2024-03-01T00:00:00Z'),
    });

    // Assess
    expect(copy).toEqual({ bucket: lake.names.buckets.raw, key: `_quarantine/_unknown/${hash}/${hash}.csv` });
    expect(await readFile(lake.store.objectPath(copy.bucket, copy.key), 'utf8')).toBe(content);
    expect(await lake.store.head(source.bucket, source.key)).toBeDefined();
    const reason = JSON.parse(
      await readFile(
        lake.store.objectPath(lake.names.buckets.rejects, `quarantine/_unknown/${hash}/reason.json`),
        'utf8',
      ),
    );
    expect(reason).toEqual({
      reason: 'cannot tell which dataset the file holds',
      copy,
      contentHash: hash,
      at: '2024-03-01T00:00:00.000Z',
    });
    expect((await lake.store.head(copy.bucket, copy.key))?.metadata).toMatchObject({
      'original-bucket': source.bucket,
      'original-key': source.key,
    });
  });

  it('files a quarantined object of a known dataset under that dataset', async () => {
    // Prepare
    const source = { bucket: lake.names.buckets.raw, key: `vitals/dropzone/${'a'.repeat(64)}.csv` };
    await lake.store.put(source.bucket, source.key, 'x\n');

    // Act
    const copy = await quarantineObject(lake.store, lake.names, source, 'required column recorded_at is missing', {
      dataset: 'vitals',
      contentHash: 'a'.repeat(64),
    });

    // Assess
    expect(copy.key).toBe(`_quarantine/vitals/${'a'.repeat(64)}/${'a'.repeat(64)}.csv`);
    expect(
      JSON.parse(
        await readFile(
          lake.store.objectPath(lake.names.buckets.rejects, `quarantine/vitals/${'a'.repeat(64)}/reason.json`),
          'utf8',
        ),
      ),
    ).toMatchObject({ dataset: 'vitals' });
  });
});
