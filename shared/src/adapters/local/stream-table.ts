/**
 * A DynamoDB table with a NEW_IMAGE stream, on folders. Under `$LAKE_HOME/dynamodb/<table>/`:
 *   table.json        key schema and stream label (written when the lake starts, as a deploy creates the table)
 *   sequence          the last sequence number handed out
 *   shards/<shardId>/ the shard's log (stream-shard-log.ts), its item keys (stream-table-key-index.ts),
 *                     and its consumer's lease and checkpoint (stream-shard-lease.ts)
 * Writers (any process: `lake telemetry put`, the fleet simulator) sequence
 * under the table's lock, so sequence numbers grow in write order. An item's
 * shard follows its partition key, so one device's readings keep their order.
 *
 * This is DynamoDB alone; Lambda's event source mapping over the stream
 * (batches, retries, bisection, on-failure destination) lives in the local
 * runtime (local/src/runtime/event-sources/).
 */
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toAttributeValues } from '../aws/dynamodb-json';
import { readJsonIfExists, withFileLock, writeFileAtomic } from './files';
import type { ShardLease } from './stream-shard-lease';
import { shardLease } from './stream-shard-lease';
import type { ShardLog, StreamRecord } from './stream-shard-log';
import { appendSegment, openShardLog, SHARDS, shardIds } from './stream-shard-log';
import { buildKeyIndexes } from './stream-table-key-index';

export interface KeySchema {
  partitionKey: string;
  sortKey?: string;
}

export interface TableDefinition {
  name: string;
  keySchema: KeySchema;
}

/** A plain JSON item, as `lake telemetry put` reads it (marshalled to AttributeValues on write). */
export type PlainItem = Record<string, unknown>;

/** One shard of a table's stream, as a consumer opens it: its log, and its consumer's lease and checkpoint. */
export interface StreamShard extends ShardLog {
  readonly lease: ShardLease;
}

export interface LocalStreamTables {
  /** Creates the table if it does not exist yet; an existing table keeps its stream label. */
  define(table: TableDefinition): Promise<void>;
  /** PutItem for each item, in order (DynamoDB validates the key attributes; so does this). */
  putItems(table: string, items: readonly PlainItem[]): Promise<{ written: number }>;
  /** DeleteItem for each key; deleting an item that does not exist writes no stream record, as in DynamoDB. */
  deleteItems(table: string, keys: readonly PlainItem[]): Promise<{ deleted: number }>;
  /** The ids of the table stream's shards (DescribeStream). */
  shardIds(table: string): string[];
  /** Opens one shard for a consumer: a reader of its log, and its lease and checkpoint. */
  openShard(table: string, shardId: string): StreamShard;
}

/** An item without its key attributes, or with a key of the wrong type: DynamoDB's ValidationException. */
export class TableValidationError extends Error {
  override name = 'ValidationException';
}

export class TableNotFoundError extends Error {
  override name = 'ResourceNotFoundException';
}

/** Sequence numbers are 21 digits, so their text sorts as their value does. */
const SEQUENCE_BASE = 10n ** 20n;

interface TableFile {
  name: string;
  keySchema: KeySchema;
  streamLabel: string;
}

export interface LocalStreamTablesOptions {
  region: string;
  account: string;
  now?: () => Date;
}

function keyOf(item: PlainItem, schema: KeySchema, table: string): PlainItem {
  const key: PlainItem = {};
  for (const name of [schema.partitionKey, schema.sortKey]) {
    if (name === undefined) continue;
    const value = item[name];
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new TableValidationError(
        `One or more parameter values were invalid: missing the key ${name} in the item, or it is not a string or number (table ${table})`,
      );
    }
    if (value === '')
      throw new TableValidationError(
        `One or more parameter values were invalid: an AttributeValue may not contain an empty string (key ${name}, table ${table})`,
      );
    key[name] = value;
  }
  return key;
}

const keyHash = (key: PlainItem): string =>
  createHash('sha256').update(JSON.stringify(key)).digest('base64url').slice(0, 22);

function shardOf(key: PlainItem, schema: KeySchema): number {
  const digest = createHash('sha256').update(JSON.stringify(key[schema.partitionKey])).digest();
  return digest.readUInt32BE(0) % SHARDS;
}

interface Change {
  kind: 'put' | 'delete';
  key: PlainItem;
  image?: Record<string, AttributeValue>;
}

/** The stand-in rooted at `home` (see the module comment). */
export function buildLocalStreamTables(home: string, options: LocalStreamTablesOptions): LocalStreamTables {
  const now = options.now ?? (() => new Date());
  const root = join(home, 'dynamodb');
  const tmp = join(root, '.tmp');
  const tableDir = (table: string) => join(root, table);
  const shardDir = (table: string, shard: string) => join(tableDir(table), 'shards', shard);
  const keysDir = (table: string, shard: string) => join(shardDir(table, shard), 'keys');
  const keyIndexes = buildKeyIndexes();

  async function tableFile(table: string): Promise<TableFile> {
    const file = await readJsonIfExists<TableFile>(join(tableDir(table), 'table.json'));
    if (file === undefined)
      throw new TableNotFoundError(
        `Requested resource not found: table ${table} does not exist (start the lake once to create it)`,
      );
    return file;
  }

  /** Appends changes to the stream under the table's lock: sequence numbers follow write order across processes. */
  async function write(table: string, changes: readonly Change[]): Promise<number> {
    const file = await tableFile(table);
    const streamArn = `arn:aws:dynamodb:${options.region}:${options.account}:table/${table}/stream/${file.streamLabel}`;
    const shards = shardIds(table);
    return withFileLock(join(tableDir(table), 'lock'), async () => {
      const sequencePath = join(tableDir(table), 'sequence');
      const last = BigInt((await readFile(sequencePath, 'utf8').catch(() => '0')).trim() || '0');
      // The numbers are reserved before any record is written: a crash leaves a gap, never a reused number.
      await writeFileAtomic(tmp, sequencePath, String(last + BigInt(changes.length)));
      const perShard = new Map<number, { records: StreamRecord[]; keyLines: string[] }>();
      const seen = new Map<string, boolean>();
      const arrivedAtMs = now().getTime();
      // Each shard's key index is brought up to date once per call, not per item.
      const indexes = await Promise.all(shards.map((shard) => keyIndexes.read(keysDir(table, shard), arrivedAtMs)));
      let written = 0;
      let next = last;
      for (const change of changes) {
        next += 1n;
        const shard = shardOf(change.key, file.keySchema);
        const hash = keyHash(change.key);
        const existed = seen.get(hash) ?? indexes[shard]?.items.get(hash)?.exists ?? false;
        if (change.kind === 'delete' && !existed) continue;
        const eventName = change.kind === 'delete' ? 'REMOVE' : existed ? 'MODIFY' : 'INSERT';
        seen.set(hash, change.kind === 'put');
        const keys = toAttributeValues(change.key);
        const record: DynamoDBRecord = {
          eventID: randomBytes(16).toString('hex'),
          eventName,
          eventVersion: '1.1',
          eventSource: 'aws:dynamodb',
          awsRegion: options.region,
          dynamodb: {
            ApproximateCreationDateTime: Math.floor(arrivedAtMs / 1000),
            Keys: keys,
            ...(change.image !== undefined ? { NewImage: change.image } : {}),
            SequenceNumber: String(SEQUENCE_BASE + next),
            SizeBytes: Buffer.byteLength(JSON.stringify(change.image ?? keys)),
            StreamViewType: 'NEW_IMAGE',
          },
          eventSourceARN: streamArn,
        };
        const group = perShard.get(shard) ?? { records: [], keyLines: [] };
        perShard.set(shard, group);
        group.records.push({ record, arrivedAtMs });
        group.keyLines.push(`${change.kind === 'put' ? '+' : '-'}${hash}\n`);
        written++;
      }
      for (const [shard, group] of perShard) {
        if (group.records.length === 0) continue;
        await appendSegment(shardDir(table, shards[shard] ?? ''), tmp, group.records);
        await keyIndexes.append(keysDir(table, shards[shard] ?? ''), arrivedAtMs, group.keyLines);
      }
      return written;
    });
  }

  return {
    async define(table) {
      const path = join(tableDir(table.name), 'table.json');
      await withFileLock(join(tableDir(table.name), 'lock'), async () => {
        const existing = await readJsonIfExists<TableFile>(path);
        const streamLabel = existing?.streamLabel ?? now().toISOString().replace(/Z$/, '');
        await writeFileAtomic(
          tmp,
          path,
          JSON.stringify({ name: table.name, keySchema: table.keySchema, streamLabel } satisfies TableFile, null, 2),
        );
      });
    },
    async putItems(table, items) {
      const { keySchema } = await tableFile(table);
      const changes = items.map(
        (item): Change => ({
          kind: 'put',
          key: keyOf(item, keySchema, table),
          image: toAttributeValues(item),
        }),
      );
      return { written: await write(table, changes) };
    },
    async deleteItems(table, keys) {
      const { keySchema } = await tableFile(table);
      return {
        deleted: await write(
          table,
          keys.map((key) => ({ kind: 'delete', key: keyOf(key, keySchema, table) })),
        ),
      };
    },
    shardIds,
    openShard(table, shardId) {
      const dir = shardDir(table, shardId);
      return { ...openShardLog(shardId, dir, tmp), lease: shardLease(dir, tmp) };
    },
  };
}
