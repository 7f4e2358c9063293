/**
 * The stream function on the local telemetry table's stream, as Lambda runs it:
 * shards, batches, retries from the reported sequence number, bisection, and
 * the on-failure destination.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { buildLocalLake, type LocalLake } from '@pulse-lake/shared/adapters/local/index';
import { vitals } from '@pulse-lake/shared/datasets/vitals';
import { TELEMETRY_KEY, telemetryItem } from '@pulse-lake/shared/lake/telemetry-items';
import type { ObjectStore } from '@pulse-lake/shared/ports';
import { linesLogger } from '@pulse-lake/shared/edge/logger';
import { createHandler } from '@pulse-lake/stream/handlers/on-telemetry-record';
import { startDynamoDbStreamEventSource } from '../../../src/runtime/event-sources/dynamodb-stream-event-source';
import type { StreamFailureRecord } from '../../../src/runtime/event-sources/stream-failure-record';

const context = {
  functionName: 'on-telemetry-record',
  awsRequestId: 'test',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;
const TABLE = 'pulse-lake-test-telemetry';

const reading = (serial: string, minute: number, heartRate: number) =>
  telemetryItem(vitals, {
    patient_id: `P-${serial}`,
    device_serial: serial,
    site: 'SG',
    recorded_at: `2026-11-27T08:${String(minute).padStart(2, '0')}:00Z`,
    heart_rate_bpm: heartRate,
  });

interface Landed {
  device: string;
  recordedAt: string;
  heartRate: number;
}

describe('the telemetry stream on the local table', () => {
  let home: string;
  let lake: LocalLake;
  /** Readings in the order they became durable in the raw zone (redeliveries included). */
  let landed: Landed[];
  let failures: StreamFailureRecord[];
  let poisonAttempts: number;

  /** S3 that refuses, every time, any object holding the poison device's reading: a record the function can never persist. */
  function storeRefusing(device: string): ObjectStore {
    return {
      ...lake.store,
      put: async (bucket, key, body, options) => {
        const text = Buffer.from(body as Uint8Array).toString('utf8');
        if (text.includes(`"device_serial":"${device}"`)) {
          poisonAttempts++;
          throw new Error('AccessDenied: the object was refused');
        }
        const result = await lake.store.put(bucket, key, body, options);
        for (const line of text.trim().split('\n')) {
          const row = JSON.parse(line) as { device_serial: string; recorded_at: string; heart_rate_bpm: number };
          landed.push({ device: row.device_serial, recordedAt: row.recorded_at, heartRate: row.heart_rate_bpm });
        }
        return result;
      },
    };
  }

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'telemetry-stream-'));
    lake = buildLocalLake(home, { stage: 'test' });
    await lake.tables.define({ name: TABLE, keySchema: TELEMETRY_KEY });
    landed = [];
    failures = [];
    poisonAttempts = 0;
  });

  afterEach(async () => {
    await lake.close();
    rmSync(home, { recursive: true, force: true });
  });

  function consume(store: ObjectStore) {
    const handler = createHandler(
      { ...lake, store },
      linesLogger(() => undefined),
    );
    return startDynamoDbStreamEventSource(lake.tables, TABLE, (event: DynamoDBStreamEvent) => handler(event, context), {
      batchSize: 100,
      batchWindowSeconds: 0,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 2,
      reportBatchItemFailures: true,
      retryDelayMs: 5,
      onFailure: async (record) => void failures.push(record),
    });
  }

  it('retries a record it cannot persist, then hands it to the on-failure destination; the rest land, in order per device', async () => {
    // Prepare: three devices; W-BAD's second reading can never be persisted.
    const devices = ['W-A', 'W-B', 'W-C'];
    const items = [];
    for (let minute = 0; minute < 20; minute++)
      for (const device of devices) items.push(reading(device, minute, 60 + minute));
    items.splice(31, 0, reading('W-BAD', 0, 70));
    await lake.tables.putItems(TABLE, items.slice(0, 31));
    await lake.tables.putItems(TABLE, items.slice(31));

    // Act
    const consumer = consume(storeRefusing('W-BAD'));
    await consumer.idle({ timeoutMs: 30_000 });
    await consumer.stop();

    // Assess: the poison record was retried (2 retries after its first attempt), then its batch info went to the destination.
    expect(failures).toHaveLength(1);
    expect(failures[0]?.DDBStreamBatchInfo).toMatchObject({
      batchSize: 1,
      streamArn: expect.stringContaining(`:table/${TABLE}/stream/`) as unknown,
    });
    expect(failures[0]?.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(poisonAttempts).toBeGreaterThanOrEqual(3);
    // Every other reading landed at least once.
    const distinct = new Set(landed.map((r) => `${r.device} ${r.recordedAt}`));
    expect(distinct.size).toBe(60);
    // Per device, first landings follow the order the device wrote in.
    for (const device of devices) {
      const firsts: string[] = [];
      for (const row of landed)
        if (row.device === device && !firsts.includes(row.recordedAt)) firsts.push(row.recordedAt);
      expect(firsts).toEqual([...firsts].sort());
    }
    // And the failed record is kept beside its shard for a replay (the stream's copy would be trimmed after 24 h on AWS).
    const shard = failures[0]?.DDBStreamBatchInfo.shardId ?? '';
    const kept = readFileSync(
      join(
        home,
        'dynamodb',
        TABLE,
        'shards',
        shard,
        'failed',
        `${failures[0]?.DDBStreamBatchInfo.startSequenceNumber}.jsonl`,
      ),
      'utf8',
    );
    expect(kept).toContain('"W-BAD"');
  });

  it('turns a second put of the same item into a MODIFY and a delete into a REMOVE, per device in write order', async () => {
    const events: DynamoDBStreamEvent['Records'] = [];
    await lake.tables.putItems(TABLE, [reading('W-A', 1, 61), reading('W-A', 2, 62)]);
    await lake.tables.putItems(TABLE, [reading('W-A', 1, 65)]);
    await lake.tables.deleteItems(TABLE, [
      { pk: 'device#W-A', sk: 'vitals#2026-11-27T08:02:00Z' },
      { pk: 'device#W-A', sk: 'vitals#2026-11-27T09:00:00Z' },
    ]);

    const consumer = startDynamoDbStreamEventSource(
      lake.tables,
      TABLE,
      async (event) => void events.push(...event.Records),
      { batchSize: 10 },
    );
    await consumer.idle({ timeoutMs: 10_000 });
    await consumer.stop();

    expect(events.map((e) => [e.eventName, e.dynamodb?.Keys?.sk?.S])).toEqual([
      ['INSERT', 'vitals#2026-11-27T08:01:00Z'],
      ['INSERT', 'vitals#2026-11-27T08:02:00Z'],
      ['MODIFY', 'vitals#2026-11-27T08:01:00Z'],
      // Deleting an item that does not exist writes no stream record, as in DynamoDB.
      ['REMOVE', 'vitals#2026-11-27T08:02:00Z'],
    ]);
    const sequences = events.map((e) => e.dynamodb?.SequenceNumber ?? '');
    expect(sequences).toEqual([...sequences].sort());
    expect(events[2]?.dynamodb?.NewImage?.heart_rate_bpm).toEqual({ N: '65' });
    expect(events[3]?.dynamodb?.NewImage).toBeUndefined();
    expect(events[0]).toMatchObject({
      eventSource: 'aws:dynamodb',
      eventVersion: '1.1',
      dynamodb: { StreamViewType: 'NEW_IMAGE' },
    });
  });

  it('refuses an item without its key attributes, writing nothing of the call', async () => {
    await expect(
      lake.tables.putItems(TABLE, [reading('W-A', 1, 61), { type: 'vitals', heart_rate_bpm: 60 }]),
    ).rejects.toThrow(/missing the key pk/);

    const events: DynamoDBStreamEvent['Records'] = [];
    const consumer = startDynamoDbStreamEventSource(
      lake.tables,
      TABLE,
      async (event) => void events.push(...event.Records),
    );
    await consumer.idle({ timeoutMs: 10_000 });
    await consumer.stop();
    expect(events).toEqual([]);
  });
});
