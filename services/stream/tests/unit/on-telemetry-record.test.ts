import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { buildLocalLake, type LocalLake } from '@pulse-lake/shared/adapters/local/index';
import { linesLogger } from '@pulse-lake/shared/edge/logger';
import type { ObjectStore } from '@pulse-lake/shared/ports';
import { createHandler } from '../../src/handlers/on-telemetry-record';

const fixture = (name: string): DynamoDBStreamEvent =>
  JSON.parse(readFileSync(new URL(`../events/dynamodb/${name}.json`, import.meta.url), 'utf8')) as DynamoDBStreamEvent;
const context = {
  functionName: 'on-telemetry-record',
  awsRequestId: 'test',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

async function bodyOf(store: ObjectStore, bucket: string, key: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(bucket, key)) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

async function rawKeys(lake: LocalLake): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of lake.store.list(lake.names.buckets.raw, '')) keys.push(item.key);
  return keys.sort();
}

describe('on-telemetry-record', () => {
  let home: string;
  let lake: LocalLake;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'stream-handler-'));
    lake = buildLocalLake(home, { stage: 'test' });
  });
  afterEach(async () => {
    await lake.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('lands the new images as one raw JSONL object per dataset, unknown types apart, and records the deletions', async () => {
    // Prepare
    const handler = createHandler(lake);
    // Act
    const response = await handler(fixture('insert-modify-remove'), context);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const keys = await rawKeys(lake);
    expect(keys).toHaveLength(4);
    const vitalsKey = keys.find((k) => k.startsWith('vitals/stream/'));
    expect(vitalsKey).toMatch(/^vitals\/stream\/[0-9a-f]{64}\.jsonl$/);
    expect(keys.find((k) => k.startsWith('_unknown/stream/'))).toBeDefined();
    const lines = (await bodyOf(lake.store, lake.names.buckets.raw, vitalsKey ?? ''))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    // The table's keys and the routing attribute are the envelope, not the reading.
    expect(lines[0]).toEqual({
      patient_id: 'P-000123',
      device_serial: 'W-1001',
      site: 'SG',
      recorded_at: '2024-05-01T08:00:00Z',
      heart_rate_bpm: 72,
      flags: ['wrist', 'rest'],
    });
    const head = await lake.store.head(lake.names.buckets.raw, vitalsKey ?? '');
    expect(head?.metadata['content-sha256']).toBe(vitalsKey?.slice('vitals/stream/'.length, -'.jsonl'.length));

    const vitalsDeletes = keys.find((k) => k.startsWith('_stream_deletes/vitals/')) ?? '';
    const gaitDeletes = keys.find((k) => k.startsWith('_stream_deletes/gait/')) ?? '';
    expect(JSON.parse(await bodyOf(lake.store, lake.names.buckets.raw, vitalsDeletes))).toEqual({
      keys: { pk: 'device#W-1001', sk: 'vitals#2024-04-01T08:00:00Z' },
      removed_at: '2024-05-01T08:03:00.000Z',
      cause: 'delete',
      sequence_number: '4421584500000000017450439094',
    });
    expect(JSON.parse(await bodyOf(lake.store, lake.names.buckets.raw, gaitDeletes))).toMatchObject({ cause: 'ttl' });
  });

  it('stops at a record whose image is not AttributeValue JSON: what came before lands, the rest waits behind it', async () => {
    const lines: string[] = [];
    const handler = createHandler(
      lake,
      linesLogger((line) => lines.push(line)),
    );

    const response = await handler(fixture('poison-record'), context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '4421584600000000017450439102' }] });
    const keys = await rawKeys(lake);
    expect(keys).toHaveLength(1);
    const landed = (await bodyOf(lake.store, lake.names.buckets.raw, keys[0] ?? '')).trim().split('\n');
    // W-2001's second reading is not landed ahead of the failed record: Lambda re-sends it after.
    expect(landed.map((l) => (JSON.parse(l) as { recorded_at: string }).recorded_at)).toEqual(['2024-05-01T08:05:00Z']);
    expect(lines.join('\n')).not.toContain('P-000790');
  });

  it('lands a redelivered batch once', async () => {
    const handler = createHandler(lake);

    await handler(fixture('insert-modify-remove'), context);
    const again = await handler(fixture('insert-modify-remove'), context);

    expect(again).toEqual({ batchItemFailures: [] });
    expect(await rawKeys(lake)).toHaveLength(4);
  });

  it('reports the first sequence number it could not persist', async () => {
    const failing: ObjectStore = {
      ...lake.store,
      put: async (bucket, key, body, options) => {
        if (key.startsWith('_unknown/')) throw new Error('S3 unavailable');
        return lake.store.put(bucket, key, body, options);
      },
    };
    const lines: string[] = [];
    const handler = createHandler(
      { ...lake, store: failing },
      linesLogger((line) => lines.push(line)),
    );

    const response = await handler(fixture('insert-modify-remove'), context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '4421584500000000017450439093' }] });
    expect(lines.join('\n')).toContain('S3 unavailable');
    expect(lines.join('\n')).not.toContain('P-000123');
  });
});
