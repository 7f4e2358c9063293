/**
 * The local telemetry table's item memory: a hot table whose items live
 * ITEM_TTL_HOURS after their last write, so a long demo's index stays bounded.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalStreamTables } from '../../../../src/adapters/local/stream-table';
import { ITEM_TTL_HOURS } from '../../../../src/adapters/local/stream-table-key-index';

const TABLE = 'pulse-lake-test-telemetry';
const HOUR = 3_600_000;

describe('the local telemetry table', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'stream-table-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it(`remembers an item for ${ITEM_TTL_HOURS} hours after its last write, then forgets it and its key log`, async () => {
    // Prepare
    let now = new Date('2026-11-27T08:15:00Z');
    const tables = buildLocalStreamTables(home, { region: 'ap-southeast-1', account: '000000000000', now: () => now });
    await tables.define({ name: TABLE, keySchema: { partitionKey: 'pk', sortKey: 'sk' } });
    const item = { pk: 'device#PLW-1', sk: 'vitals#2026-11-27T08:00:00Z', heart_rate_bpm: 70 };
    // Act: written, corrected an hour later, then written again after its TTL ran out; deleted once forgotten.
    await tables.putItems(TABLE, [item]);
    now = new Date(now.getTime() + HOUR);
    await tables.putItems(TABLE, [{ ...item, heart_rate_bpm: 71 }]);
    now = new Date(now.getTime() + (ITEM_TTL_HOURS + 1) * HOUR);
    await tables.putItems(TABLE, [{ ...item, heart_rate_bpm: 72 }]);
    now = new Date(now.getTime() + (ITEM_TTL_HOURS + 1) * HOUR);
    await tables.deleteItems(TABLE, [{ pk: item.pk, sk: item.sk }]);
    await tables.putItems(TABLE, [{ ...item, sk: 'vitals#2026-11-28T00:00:00Z' }]);
    const seen: DynamoDBRecord[] = [];
    for (const shardId of tables.shardIds(TABLE))
      seen.push(...(await tables.openShard(TABLE, shardId).readNew()).map((stored) => stored.record));
    // Assess
    // The delete of the forgotten item wrote no record, as deleting an expired item does in DynamoDB.
    expect(seen.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'INSERT', 'INSERT']);
    // Only the key logs of hours whose items may still live are kept.
    for (const dir of await readdir(join(home, 'dynamodb', TABLE, 'shards'))) {
      const logs = await readdir(join(home, 'dynamodb', TABLE, 'shards', dir, 'keys')).catch(() => [] as string[]);
      for (const log of logs)
        expect(Number(log.replace('.log', ''))).toBeGreaterThanOrEqual(now.getTime() - (ITEM_TTL_HOURS + 2) * HOUR);
    }
  });
});
