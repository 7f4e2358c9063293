import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { buildLocalLake, type LocalLake } from '@pulse-lake/shared/adapters/local/index';
import type { ObjectStore } from '@pulse-lake/shared/ports';
import { createHandler } from '../../src/handlers/on-telemetry-record';

const fixture = (name: string): DynamoDBStreamEvent =>
  JSON.parse(readFileSync(new URL(`../events/dynamodb/${name}.json`, import.meta.url), 'utf8')) as DynamoDBStreamEvent;
const context = { functionName: 'on-telemetry-record', awsRequestId: 'test', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

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

  it('lands the new images as one raw JSONL object per dataset, unknown datasets apart', async () => {
    // Prepare
    const handler = createHandler(lake);
    // Act
    const response = await handler(fixture('insert-modify-remove'), context);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const keys = await rawKeys(lake);
    expect(keys).toHaveLength(2);
    const vitalsKey = keys.find((k) => k.startsWith('vitals/stream/'));
    expect(vitalsKey).toMatch(/^vitals\/stream\/[0-9a-f]{64}\.jsonl$/);
    expect(keys.find((k) => k.startsWith('_unknown/stream/'))).toBeDefined();
    const lines = (await bodyOf(lake.store, lake.names.buckets.raw, vitalsKey ?? '')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ dataset: 'vitals', site: 'SG', heart_rate_bpm: 72, flags: ['wrist', 'rest'] });
    const head = await lake.store.head(lake.names.buckets.raw, vitalsKey ?? '');
    expect(head?.metadata['content-sha256']).toBe(vitalsKey?.slice('vitals/stream/'.length, -'.jsonl'.length));
  });

  it('lands a redelivered batch once', async () => {
    const handler = createHandler(lake);

    await handler(fixture('insert-modify-remove'), context);
    const again = await handler(fixture('insert-modify-remove'), context);

    expect(again).toEqual({ batchItemFailures: [] });
    expect(await rawKeys(lake)).toHaveLength(2);
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
    const handler = createHandler({ ...lake, store: failing }, (line) => lines.push(line));

    const response = await handler(fixture('insert-modify-remove'), context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '4421584500000000017450439093' }] });
    expect(lines.join('\n')).toContain('S3 unavailable');
    expect(lines.join('\n')).not.toContain('P-000123');
  });
});
