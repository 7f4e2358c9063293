/**
 * The local lake with an SQS event source tracked by it: a file dropped by
 * hand flows through S3 events, the queue's mapping and EventBridge, and the
 * lake's idle() waits for all of it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3EventRecord } from 'aws-lambda';
import type { LocalLake } from '@pulse-lake/shared/adapters/local/index';
import { buildLocalLake } from '@pulse-lake/shared/adapters/local/index';
import type { RunningEventSource } from '../../../src/runtime/event-sources/event-source';
import { startSqsEventSource } from '../../../src/runtime/event-sources/sqs-event-source';

const decodeKey = (record: S3EventRecord) => decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));

describe('the composed local lake with an SQS event source', () => {
  let home: string;
  let lake: LocalLake;
  let mappings: RunningEventSource[];
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-all-'));
    lake = buildLocalLake(home, { stage: 'test' });
    mappings = [];
  });
  afterEach(async () => {
    await Promise.all(mappings.map((mapping) => mapping.stop()));
    await lake.close();
    await rm(home, { recursive: true, force: true });
  });

  it('carries a hand-dropped file through S3 events, SQS and EventBridge, and idle() waits for all of it', async () => {
    // Prepare: a miniature of the real wiring.
    const { buckets, queues } = lake.names;
    const registered: string[] = [];
    lake.store.onObjectCreated(buckets.dropzone, async (record) => {
      const key = decodeKey(record);
      await lake.store.copy(
        { bucket: buckets.dropzone, key },
        { bucket: buckets.raw, key: `vitals/dropzone/${record.s3.object.eTag}.csv` },
      );
    });
    lake.store.onObjectCreated(buckets.raw, async (record) => {
      await lake.queue.send(queues.normalize, [{ id: '0', body: JSON.stringify({ key: decodeKey(record) }) }]);
    });
    lake.queue.setAttributes(queues.normalize, { visibilityTimeoutSeconds: 5 });
    const mapping = startSqsEventSource(lake.queue, queues.normalize, async (event) => {
      await lake.bus.publish(
        event.Records.map((r) => ({
          source: 'pulse-lake',
          detailType: 'Partitions Written',
          detail: JSON.parse(r.body) as unknown,
        })),
      );
    });
    mappings.push(mapping);
    lake.track(mapping);
    lake.bus.addRule({
      name: 'register',
      pattern: { source: ['pulse-lake'], 'detail-type': ['Partitions Written'] },
      target: async (event) => {
        await new Promise((r) => setTimeout(r, 50));
        registered.push((event.detail as { key: string }).key);
      },
    });
    const watcher = lake.watchBucket(buckets.dropzone, { intervalMs: 25 });

    // Act: a file copied into the dropzone folder by hand.
    await writeFile(join(lake.store.bucketPath(buckets.dropzone), 'vitals export.csv'), 'hr\n72\n');
    for (
      let i = 0;
      i < 100 && registered.length === 0 && (await lake.queue.depth(queues.normalize)).visible === 0;
      i += 1
    )
      await watcher.poll();
    await lake.idle({ timeoutMs: 20_000 });

    // Assess
    expect(registered).toEqual([expect.stringMatching(/^vitals\/dropzone\/[0-9a-f]{32}\.csv$/)]);
    expect(await lake.queue.depth(queues.normalize)).toEqual({ visible: 0, inFlight: 0 });
  });
});
