import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalLake } from '../../../src/adapters/local/index';
import { buildLocalLake } from '../../../src/adapters/local/index';
import { completionMarkerKey, fileManifestKey, partitionLocation } from '../../../src/lake/keys';
import type { ChunkManifest, PlannedFile } from '../../../src/lake/manifest';
import {
  completeIfAllChunksDone,
  readFileManifest,
  recordDuplicateDrop,
  writeChunkManifest,
  writePlannedManifest,
} from '../../../src/lake/manifest';

const HASH = 'f'.repeat(64);

async function readText(lake: LocalLake, key: string): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of await lake.store.get(lake.names.buckets.curated, key))
    parts.push(Buffer.from(part as Uint8Array));
  return Buffer.concat(parts).toString('utf8');
}

function planned(lake: LocalLake, chunkCount: number): PlannedFile {
  return {
    dataset: 'vitals',
    contentHash: HASH,
    format: 'csv',
    raw: { bucket: lake.names.buckets.raw, key: `vitals/dropzone/${HASH}.csv` },
    source: { bucket: lake.names.buckets.dropzone, key: 'vitals/export.csv' },
    landedAt: '2024-03-01T10:00:00.000Z',
    chunkCount,
  };
}

function chunk(lake: LocalLake, index: number, site: 'SG' | 'US', rows: number): ChunkManifest {
  return {
    dataset: 'vitals',
    contentHash: HASH,
    raw: { bucket: lake.names.buckets.raw, key: `vitals/dropzone/${HASH}.csv` },
    index,
    rowsIn: rows,
    rowsWritten: rows - 1,
    rowsRejected: 1,
    rowsDuplicate: 0,
    outputKeys: [`curated/vitals/site=${site}/dt=2024-03-01/part-ffffffffffffffff-000${index}.parquet`],
    rejectsKey: `rejects/vitals/ffffffffffffffff-000${index}.jsonl`,
    partitions: [
      { site, dt: '2024-03-01', location: partitionLocation(lake.names, 'curated', 'vitals', site, '2024-03-01') },
    ],
    writtenAt: '2024-03-01T10:01:00.000Z',
  };
}

describe('file and chunk manifests', () => {
  let home: string;
  let lake: LocalLake;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-manifest-'));
    lake = buildLocalLake(home);
  });
  afterEach(async () => {
    await lake.close();
    await rm(home, { recursive: true, force: true });
  });

  it('does not complete a file while a planned chunk is missing', async () => {
    // Prepare
    await writePlannedManifest(lake.store, lake.names, planned(lake, 2), new Date('2024-03-01T10:00:01Z'));
    await writeChunkManifest(lake.store, lake.names, chunk(lake, 0, 'SG', 10));

    // Act
    const completed = await completeIfAllChunksDone(lake.store, lake.names, 'vitals', HASH);

    // Assess
    expect(completed).toBeUndefined();
    expect((await readFileManifest(lake.store, lake.names, 'vitals', HASH))?.status).toBe('planned');
    expect(await lake.store.head(lake.names.buckets.curated, completionMarkerKey('vitals', HASH))).toBeUndefined();
  });

  it('announces completion exactly once when two chunk writers race', async () => {
    // Prepare
    await writePlannedManifest(lake.store, lake.names, planned(lake, 2), new Date('2024-03-01T10:00:01Z'));

    // Act: each chunk writes its manifest and tries to complete, at the same time, several times over.
    const writer = async (index: number) => {
      await writeChunkManifest(lake.store, lake.names, chunk(lake, index, index === 0 ? 'SG' : 'US', 10 + index));
      return completeIfAllChunksDone(lake.store, lake.names, 'vitals', HASH, { chunkIndex: index });
    };
    const results = await Promise.all([writer(0), writer(1)]);
    const late = await Promise.all([
      completeIfAllChunksDone(lake.store, lake.names, 'vitals', HASH),
      completeIfAllChunksDone(lake.store, lake.names, 'vitals', HASH),
    ]);

    // Assess
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    expect(late).toEqual([undefined, undefined]);
    const stored = await readFileManifest(lake.store, lake.names, 'vitals', HASH);
    expect(stored?.status).toBe('complete');
    expect(stored?.chunks.map((c) => c.index)).toEqual([0, 1]);
    expect(stored?.totals).toEqual({ rowsIn: 21, rowsWritten: 19, rowsRejected: 2, rowsDuplicate: 0 });
    expect(stored?.partitions.map((p) => p.site).sort()).toEqual(['SG', 'US']);
    expect(stored?.source).toEqual({ bucket: lake.names.buckets.dropzone, key: 'vitals/export.csv' });
    expect(winners[0]).toEqual(stored);
  });

  it('lets a redelivered message of the winning chunk finish an interrupted completion', async () => {
    // Prepare: chunk 0 won the marker and then its Lambda died before announcing.
    await writePlannedManifest(lake.store, lake.names, planned(lake, 1), new Date('2024-03-01T10:00:01Z'));
    await writeChunkManifest(lake.store, lake.names, chunk(lake, 0, 'SG', 5));
    await lake.store.put(
      lake.names.buckets.curated,
      completionMarkerKey('vitals', HASH),
      JSON.stringify({ completedAt: '2024-03-01T10:02:00.000Z', chunkIndex: 0 }),
    );

    // Act
    const other = await completeIfAllChunksDone(lake.store, lake.names, 'vitals', HASH, { chunkIndex: 3 });
    const retry = await completeIfAllChunksDone(lake.store, lake.names, 'vitals', HASH, { chunkIndex: 0 });

    // Assess
    expect(other).toBeUndefined();
    expect(retry?.status).toBe('complete');
    expect(retry?.completedAt).toBe('2024-03-01T10:02:00.000Z');
  });

  it('keeps a duplicate drop recorded while the file completes', async () => {
    // Prepare
    await writePlannedManifest(lake.store, lake.names, planned(lake, 1), new Date('2024-03-01T10:00:01Z'));
    await writeChunkManifest(lake.store, lake.names, chunk(lake, 0, 'SG', 5));
    const drop = { bucket: lake.names.buckets.dropzone, key: 'vitals/export (1).csv', at: '2024-03-01T10:05:00.000Z' };

    // Act
    await Promise.all([
      completeIfAllChunksDone(lake.store, lake.names, 'vitals', HASH),
      recordDuplicateDrop(lake.store, lake.names, 'vitals', HASH, drop),
    ]);

    // Assess: the stored file manifest itself (not only the merged read) says so.
    const text = await readText(lake, fileManifestKey('vitals', HASH));
    const onDisk = JSON.parse(text) as { status: string; duplicateDrops: unknown[] };
    expect(onDisk.status).toBe('complete');
    expect(onDisk.duplicateDrops).toEqual([drop]);
  });

  it('does not undo a complete manifest when the raw object is planned again', async () => {
    // Prepare
    await writePlannedManifest(lake.store, lake.names, planned(lake, 1), new Date('2024-03-01T10:00:01Z'));
    await writeChunkManifest(lake.store, lake.names, chunk(lake, 0, 'SG', 5));
    await completeIfAllChunksDone(lake.store, lake.names, 'vitals', HASH);

    // Act
    const replanned = await writePlannedManifest(
      lake.store,
      lake.names,
      planned(lake, 1),
      new Date('2024-03-02T00:00:00Z'),
    );

    // Assess
    expect(replanned.status).toBe('complete');
    expect((await readFileManifest(lake.store, lake.names, 'vitals', HASH))?.totals.rowsIn).toBe(5);
  });
});
