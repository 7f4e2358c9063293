import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalLake } from '../../../src/adapters/local/index';
import { buildLocalLake } from '../../../src/adapters/local/index';
import { rawKey } from '../../../src/lake/keys';
import { readFileManifest } from '../../../src/lake/manifest';
import type { NormalizeChunkMessage, PartitionsWrittenDetail } from '../../../src/lake/messages';
import { PARTITIONS_WRITTEN } from '../../../src/lake/messages';
import { registerPartitions } from '../../../src/catalog/register-partitions';
import { reconcileRawObjects } from '../../../src/operations/reconcile';
import { normalizeChunk } from '../../../src/normalize/normalize-chunk';

const CSV =
  'patient_id,device_serial,recorded_at,site,heart_rate_bpm,spo2_pct\nP-1,SN-1,2024-03-01T08:00:00Z,SG,72,97\n';
const HASH = createHash('sha256').update(CSV).digest('hex');

describe('the reconciliation sweep over the raw zone', () => {
  let home: string;
  let lake: LocalLake;
  let now: Date;

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-reconcile-'));
    now = new Date('2024-03-01T12:00:00Z');
    lake = buildLocalLake(home, { clock: { now: () => now } });
  });
  afterEach(async () => {
    await lake.close();
    await rm(home, { recursive: true, force: true });
  });

  it('plans a raw object whose S3 event was lost, once, and reports it stuck only when it stays incomplete for hours', async () => {
    // Prepare: a landed raw object nobody planned (no listener: its event went nowhere), and a stray object outside the layout
    const key = rawKey('vitals', 'dropzone', HASH, 'csv');
    await lake.store.put(lake.names.buckets.raw, key, CSV);
    await lake.store.put(lake.names.buckets.raw, '_unknown/stream/not-a-dataset.jsonl', '{}\n');

    // Act + Assess: planned once
    const first = await reconcileRawObjects(lake);
    expect(first).toEqual({
      scanned: 1,
      planned: [{ dataset: 'vitals', contentHash: HASH, key, chunks: 1 }],
      stuck: [],
      reannounced: [],
    });
    const second = await reconcileRawObjects(lake);
    expect(second).toEqual({ scanned: 1, planned: [], stuck: [], reannounced: [] });
    const queued = await lake.queue.list(lake.names.queues.normalize);
    expect(queued).toHaveLength(1);

    // Act + Assess: seven hours later, still not normalized: stuck
    now = new Date('2024-03-01T19:00:00Z');
    expect((await reconcileRawObjects(lake)).stuck).toEqual([
      { dataset: 'vitals', contentHash: HASH, key, plannedAt: '2024-03-01T12:00:00.000Z' },
    ]);

    // Act + Assess: normalized, but its Partitions Written announcement was lost (the process died before delivering it): announced again, once
    await normalizeChunk(
      { ...lake, bus: { publish: async () => undefined } },
      JSON.parse(queued[0]?.body ?? '{}') as NormalizeChunkMessage,
    );
    expect((await readFileManifest(lake.store, lake.names, 'vitals', HASH))?.status).toBe('complete');
    const announced: PartitionsWrittenDetail[] = [];
    lake.bus.addRule({
      name: 'catalog',
      pattern: { 'detail-type': [PARTITIONS_WRITTEN] },
      target: async (event) => void announced.push(event.detail as PartitionsWrittenDetail),
    });
    expect(await reconcileRawObjects(lake)).toEqual({
      scanned: 1,
      planned: [],
      stuck: [],
      reannounced: [{ dataset: 'vitals', contentHash: HASH, partitions: 1 }],
    });
    await lake.idle();
    expect(announced).toEqual([
      expect.objectContaining({
        dataset: 'vitals',
        contentHash: HASH,
        partitions: [expect.objectContaining({ site: 'SG', dt: '2024-03-01' })],
      }),
    ]);

    // Act + Assess: once the catalog has the partition, nothing to report
    await registerPartitions(lake, announced[0] as PartitionsWrittenDetail);
    expect(await reconcileRawObjects(lake)).toEqual({ scanned: 1, planned: [], stuck: [], reannounced: [] });
  });
});
