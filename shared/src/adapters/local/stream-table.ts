/**
 * A DynamoDB table with a NEW_IMAGE stream, on folders, and Lambda's event
 * source mapping over that stream. Under `$LAKE_HOME/dynamodb/<table>/`:
 *   table.json                         key schema and stream label (written when the lake starts, as a deploy creates the table)
 *   sequence                           the last sequence number handed out
 *   shards/<shardId>/records/<seq>.jsonl  stream records of one write call, named by their first sequence number
 *   shards/<shardId>/keys/<hour>.log   `+<key hash>` / `-<key hash>` per UTC hour: which items exist (INSERT or MODIFY,
 *                                      and REMOVE only of items that exist). Items are kept ITEM_TTL_HOURS, as in a hot
 *                                      telemetry table with a TTL, so the index stays bounded in a long demo; their expiry
 *                                      is not streamed here (DynamoDB streams it as a service REMOVE, which the lake records).
 *   shards/<shardId>/checkpoint        the last sequence number the consumer finished
 *   shards/<shardId>/failed/<seq>.jsonl   records handed to the on-failure destination, kept for a replay
 * Writers (any process: `lake telemetry put`, the fleet simulator) sequence
 * under the table's lock, so sequence numbers grow in write order. An item's
 * shard follows its partition key, so one device's readings keep their order.
 * One process at a time consumes a shard (a lease file), in order, batch by
 * batch, with the mapping's batch size, batching window, retries, bisection on
 * error and on-failure destination, as Lambda does.
 */
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdir, open, readdir, readFile, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { toAttributeValues } from '../aws/dynamodb-json';
import {
  errorCode,
  readJsonIfExists,
  renameInto,
  tryTakeLockFile,
  withFileLock,
  writeFileAtomic,
  writeTemp,
} from './files';

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

/** What Lambda's event source mapping hands the on-failure destination (AWS's documented `DDBStreamBatchInfo` record). */
export interface StreamFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted';
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export interface StreamMappingOptions {
  /** Records per invocation at most (Lambda `batchSize`, default 100). */
  batchSize?: number;
  /** Lambda `MaximumBatchingWindowInSeconds`: wait this long for a fuller batch (default 0). */
  batchWindowSeconds?: number;
  /** Split a failing batch in two before retrying; splitting does not count as a retry. */
  bisectBatchOnFunctionError?: boolean;
  /** Retries of a batch before it goes to the on-failure destination (-1, the default, retries until it succeeds). */
  maximumRetryAttempts?: number;
  /** The handler answers `batchItemFailures` (ReportBatchItemFailures); otherwise only a throw fails a batch. */
  reportBatchItemFailures?: boolean;
  /** The on-failure destination (the runtime sends it to the DLQ); the shard moves on once it resolves. */
  onFailure?: (record: StreamFailureRecord) => Promise<void>;
  /** The function's ARN, for the failure record. */
  functionArn?: string;
  /** Wait before retrying a failed batch (doubled per attempt, at most 2 s; default 100 ms). */
  retryDelayMs?: number;
  /** How often an idle shard looks for records (default 50 ms). */
  pollIntervalMs?: number;
}

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

export interface StreamConsumer {
  stop(): Promise<void>;
}

export interface LocalStreamTables {
  /** Creates the table if it does not exist yet; an existing table keeps its stream label. */
  define(table: TableDefinition): Promise<void>;
  /** PutItem for each item, in order (DynamoDB validates the key attributes; so does this). */
  putItems(table: string, items: readonly PlainItem[]): Promise<{ written: number }>;
  /** DeleteItem for each key; deleting an item that does not exist writes no stream record, as in DynamoDB. */
  deleteItems(table: string, keys: readonly PlainItem[]): Promise<{ deleted: number }>;
  /** Starts Lambda's event source mapping over the table's stream: one sequential poller per shard. */
  consume(table: string, handler: StreamHandler, options?: StreamMappingOptions): StreamConsumer;
  /** Stream records not yet finished by a consumer of this process, per table. */
  backlog(table: string): Promise<number>;
  /** Resolves when every shard this process consumes has no record left to finish. */
  idle(options?: { timeoutMs?: number }): Promise<void>;
  /** Shards with work left, in this process. */
  inFlight(): number;
  close(): Promise<void>;
}

/** An item without its key attributes, or with a key of the wrong type: DynamoDB's ValidationException. */
export class TableValidationError extends Error {
  override name = 'ValidationException';
}

export class TableNotFoundError extends Error {
  override name = 'ResourceNotFoundException';
}

/** Shards a stream has locally: enough for devices to be processed in parallel, few enough to keep batches full. */
const SHARDS = 4;
/** Sequence numbers are 21 digits, so their text sorts as their value does. */
const SEQUENCE_BASE = 10n ** 20n;
/** A shard lease not refreshed for this long belongs to a process that died. */
const LEASE_STALE_MS = 10_000;

interface TableFile {
  name: string;
  keySchema: KeySchema;
  streamLabel: string;
}

interface StoredRecord {
  record: DynamoDBRecord;
  /** When the record reached the stream (ms), for the batching window. */
  arrivedAtMs: number;
}

/** How long the local table keeps an item after its last write (its TTL). */
export const ITEM_TTL_HOURS = 6;
const HOUR_MS = 3_600_000;

interface KeyIndex {
  /** Key hash -> whether the item exists, and the hour of its last write (for expiry). */
  items: Map<string, { exists: boolean; hour: number }>;
  /** Bytes already read of each hour's log. */
  offsets: Map<number, number>;
  /** The hour expired entries were last dropped in. */
  prunedAt: number;
}

export interface LocalStreamTablesOptions {
  region: string;
  account: string;
  now?: () => Date;
  onError?: (component: string, error: unknown) => void;
}

const shardIds = (table: string): string[] =>
  Array.from(
    { length: SHARDS },
    (_, i) =>
      `shardId-${String(i + 1).padStart(20, '0')}-${createHash('sha256').update(`${table}/${i}`).digest('hex').slice(0, 8)}`,
  );

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

function parseRecords(text: string): StoredRecord[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as StoredRecord);
}

const sequenceOf = (stored: StoredRecord): string => stored.record.dynamodb?.SequenceNumber ?? '';

/** The stand-in rooted at `home` (see the module comment). */
export function buildLocalStreamTables(home: string, options: LocalStreamTablesOptions): LocalStreamTables {
  const now = options.now ?? (() => new Date());
  const report =
    options.onError ??
    ((component: string, error: unknown) => process.stderr.write(`[pulse-lake local ${component}] ${String(error)}\n`));
  const root = join(home, 'dynamodb');
  const tmp = join(root, '.tmp');
  const tableDir = (table: string) => join(root, table);
  const shardDir = (table: string, shard: string) => join(tableDir(table), 'shards', shard);
  const keyIndexes = new Map<string, KeyIndex>();
  const consumers = new Set<ShardPoller>();

  async function tableFile(table: string): Promise<TableFile> {
    const file = await readJsonIfExists<TableFile>(join(tableDir(table), 'table.json'));
    if (file === undefined)
      throw new TableNotFoundError(
        `Requested resource not found: table ${table} does not exist (start the lake once to create it)`,
      );
    return file;
  }

  const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
  const keysDir = (table: string, shard: string) => join(shardDir(table, shard), 'keys');

  /**
   * Brings this process's view of a shard's items up to date with its hourly key
   * logs (other processes append too). Called under the table's lock, so once an
   * hour it also deletes the logs whose items have all expired.
   */
  async function keyIndex(table: string, shard: string, nowMs: number): Promise<KeyIndex> {
    const id = `${table}/${shard}`;
    const index = keyIndexes.get(id) ?? { items: new Map(), offsets: new Map(), prunedAt: 0 };
    keyIndexes.set(id, index);
    const oldest = hourOf(nowMs) - ITEM_TTL_HOURS * HOUR_MS;
    const logged = (await readdir(keysDir(table, shard)).catch(() => [] as string[]))
      .map((name) => Number(name.replace(/\.log$/, '')))
      .filter((hour) => Number.isFinite(hour));
    const hours = logged.filter((hour) => hour >= oldest).sort((a, b) => a - b);
    for (const hour of hours) {
      const handle = await open(join(keysDir(table, shard), `${hour}.log`), 'r').catch(() => undefined);
      if (handle === undefined) continue;
      try {
        const { size } = await handle.stat();
        const offset = index.offsets.get(hour) ?? 0;
        if (size <= offset) continue;
        const buffer = Buffer.alloc(size - offset);
        await handle.read(buffer, 0, buffer.length, offset);
        // Only whole lines: an append in progress is read next time.
        const text = buffer.toString('utf8');
        const end = text.lastIndexOf('\n') + 1;
        for (const line of text.slice(0, end).split('\n')) {
          if (line.startsWith('+')) index.items.set(line.slice(1), { exists: true, hour });
          else if (line.startsWith('-')) index.items.set(line.slice(1), { exists: false, hour });
        }
        index.offsets.set(hour, offset + Buffer.byteLength(text.slice(0, end)));
      } finally {
        await handle.close();
      }
    }
    if (index.prunedAt !== hourOf(nowMs)) {
      for (const [hash, item] of index.items) if (item.hour < oldest) index.items.delete(hash);
      for (const hour of index.offsets.keys()) if (hour < oldest) index.offsets.delete(hour);
      // An hour's log is kept one hour past its items, for a reader in another process still catching up.
      for (const hour of logged)
        if (hour < oldest - HOUR_MS) await unlink(join(keysDir(table, shard), `${hour}.log`)).catch(() => undefined);
      index.prunedAt = hourOf(nowMs);
    }
    return index;
  }

  interface Change {
    kind: 'put' | 'delete';
    key: PlainItem;
    image?: Record<string, AttributeValue>;
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
      const perShard = new Map<number, { records: StoredRecord[]; keyLines: string[] }>();
      const seen = new Map<string, boolean>();
      const arrivedAtMs = now().getTime();
      // Each shard's key index is brought up to date once per call, not per item.
      const indexes = await Promise.all(shards.map((shard) => keyIndex(table, shard, arrivedAtMs)));
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
        const dir = shardDir(table, shards[shard] ?? '');
        const first = group.records[0];
        if (first === undefined) continue;
        const body = group.records.map((r) => `${JSON.stringify(r)}\n`).join('');
        await renameInto(await writeTemp(tmp, body), join(dir, 'records', `${sequenceOf(first)}.jsonl`));
        const keys = keysDir(table, shards[shard] ?? '');
        await mkdir(keys, { recursive: true });
        await appendFile(join(keys, `${hourOf(arrivedAtMs)}.log`), group.keyLines.join(''));
      }
      return written;
    });
  }

  /** One shard's event source mapping: sequential batches, checkpoint after each success. */
  class ShardPoller {
    private stopped = false;
    private loop: Promise<void> | undefined;
    private pending: StoredRecord[] = [];
    private loadedSegments = new Set<string>();
    private checkpoint = '';
    private leased = false;
    private loading: Promise<void> | undefined;
    private markReady: () => void = () => undefined;
    /** Resolves once the first lease attempt is over: before it, this poller's backlog is not known. */
    readonly ready = new Promise<void>((resolve) => {
      this.markReady = resolve;
    });
    busy = false;

    constructor(
      readonly table: string,
      private readonly shard: string,
      private readonly handler: StreamHandler,
      private readonly mapping: Required<Omit<StreamMappingOptions, 'onFailure'>> &
        Pick<StreamMappingOptions, 'onFailure'>,
    ) {}

    private get dir(): string {
      return shardDir(this.table, this.shard);
    }

    start(): void {
      this.loop = this.run().catch((error: unknown) => report(`dynamodb stream ${this.table}/${this.shard}`, error));
    }

    async stop(): Promise<void> {
      this.stopped = true;
      await this.loop;
      if (this.leased) await unlink(join(this.dir, 'consumer.lease')).catch(() => undefined);
    }

    /** Records this process still has to finish on this shard (0 when another process holds the lease). */
    async backlog(): Promise<number> {
      if (!this.leased) return 0;
      await this.load();
      return this.pending.length;
    }

    /** Takes the lease and reads the checkpoint before this poller reports a backlog. */
    private async claim(): Promise<boolean> {
      if (!(await tryTakeLockFile(join(this.dir, 'consumer.lease'), LEASE_STALE_MS))) return false;
      this.checkpoint = (await readFile(join(this.dir, 'checkpoint'), 'utf8').catch(() => '')).trim();
      this.leased = true;
      return true;
    }

    /** Reads new segments; one read at a time, so a backlog check never loads a segment twice. */
    private load(): Promise<void> {
      this.loading ??= this.loadSegments().finally(() => {
        this.loading = undefined;
      });
      return this.loading;
    }

    private async loadSegments(): Promise<void> {
      const names = await readdir(join(this.dir, 'records')).catch((error: unknown) => {
        if (errorCode(error) === 'ENOENT') return [] as string[];
        throw error;
      });
      const fresh = names.filter((n) => n.endsWith('.jsonl') && !this.loadedSegments.has(n)).sort();
      for (const name of fresh) {
        const text = await readFile(join(this.dir, 'records', name), 'utf8').catch((error: unknown) => {
          // Finished and deleted since the listing.
          if (errorCode(error) === 'ENOENT') return undefined;
          throw error;
        });
        if (text === undefined) continue;
        const records = parseRecords(text);
        this.loadedSegments.add(name);
        this.pending.push(...records.filter((r) => sequenceOf(r) > this.checkpoint));
      }
      if (fresh.length > 0) this.pending.sort((a, b) => (sequenceOf(a) < sequenceOf(b) ? -1 : 1));
    }

    /** Marks everything up to `sequence` finished; segments wholly before it are deleted (the stream's retention is the raw zone). */
    private async advance(sequence: string): Promise<void> {
      this.checkpoint = sequence;
      this.pending = this.pending.filter((r) => sequenceOf(r) > sequence);
      await writeFileAtomic(tmp, join(this.dir, 'checkpoint'), sequence);
      const oldestPending = this.pending[0] !== undefined ? sequenceOf(this.pending[0]) : undefined;
      const segments = [...this.loadedSegments].sort();
      for (const [i, name] of segments.entries()) {
        const following = segments[i + 1];
        // A segment is done when the next one starts at or before the oldest pending record (or nothing is pending).
        const done =
          oldestPending === undefined
            ? true
            : following !== undefined && following.slice(0, -'.jsonl'.length) <= oldestPending;
        if (!done) break;
        await unlink(join(this.dir, 'records', name)).catch(() => undefined);
        this.loadedSegments.delete(name);
      }
    }

    private async run(): Promise<void> {
      try {
        // Another process consuming this shard: this one waits to take over if that one stops.
        while (!this.stopped && !(await this.claim())) {
          this.markReady();
          await sleep(1000);
        }
      } finally {
        this.markReady();
      }
      let lastHeartbeat = 0;
      let retry: { batch: StoredRecord[]; attempts: number } | undefined;
      while (!this.stopped) {
        if (Date.now() - lastHeartbeat > 1000) {
          const t = new Date();
          await utimes(join(this.dir, 'consumer.lease'), t, t).catch(() => undefined);
          lastHeartbeat = Date.now();
        }
        await this.load();
        const batch = retry?.batch ?? this.nextBatch();
        if (batch === undefined) {
          this.busy = this.pending.length > 0;
          await sleep(this.mapping.pollIntervalMs);
          continue;
        }
        this.busy = true;
        const failedFrom = await this.invoke(batch);
        if (failedFrom === undefined) {
          await this.advance(sequenceOf(batch[batch.length - 1] as StoredRecord));
          retry = undefined;
          continue;
        }
        // Records before the first failure are done; Lambda retries from it.
        const before = batch.slice(0, failedFrom);
        if (before.length > 0) await this.advance(sequenceOf(before[before.length - 1] as StoredRecord));
        let remaining = batch.slice(failedFrom);
        let attempts =
          retry !== undefined && sequenceOf(retry.batch[0] as StoredRecord) === sequenceOf(remaining[0] as StoredRecord)
            ? retry.attempts
            : 0;
        if (this.mapping.bisectBatchOnFunctionError && remaining.length > 1) {
          remaining = remaining.slice(0, Math.ceil(remaining.length / 2));
          attempts = 0;
        } else {
          attempts += 1;
        }
        if (this.mapping.maximumRetryAttempts >= 0 && attempts > this.mapping.maximumRetryAttempts) {
          await this.giveUp(remaining, attempts);
          retry = undefined;
          continue;
        }
        retry = { batch: remaining, attempts };
        if (attempts > 0) await sleep(Math.min(this.mapping.retryDelayMs * 2 ** (attempts - 1), 2000));
      }
    }

    /** A full batch, or what waited out the batching window; undefined while the window is open. */
    private nextBatch(): StoredRecord[] | undefined {
      const first = this.pending[0];
      if (first === undefined) return undefined;
      const windowOpen = Date.now() - first.arrivedAtMs < this.mapping.batchWindowSeconds * 1000;
      if (this.pending.length < this.mapping.batchSize && windowOpen && !this.stopped) return undefined;
      return this.pending.slice(0, this.mapping.batchSize);
    }

    /** Runs the handler; returns the index of the first failed record, or undefined when the batch succeeded. */
    private async invoke(batch: StoredRecord[]): Promise<number | undefined> {
      let response: DynamoDBBatchResponse | void;
      try {
        response = await this.handler({ Records: batch.map((r) => r.record) });
      } catch (error) {
        report(`dynamodb stream ${this.table}/${this.shard}`, error);
        return 0;
      }
      const failures = this.mapping.reportBatchItemFailures ? (response?.batchItemFailures ?? []) : [];
      if (failures.length === 0) return undefined;
      // Lambda retries from the lowest reported sequence number; one it cannot find fails the whole batch.
      const indexes = failures.map((f) => batch.findIndex((r) => sequenceOf(r) === f.itemIdentifier));
      return indexes.some((i) => i < 0) ? 0 : Math.min(...indexes);
    }

    private async giveUp(batch: StoredRecord[], attempts: number): Promise<void> {
      const first = batch[0] as StoredRecord;
      const last = batch[batch.length - 1] as StoredRecord;
      const arrival = (r: StoredRecord) => new Date(r.arrivedAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const failure: StreamFailureRecord = {
        requestContext: {
          requestId: randomBytes(16).toString('hex'),
          functionArn: this.mapping.functionArn,
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: attempts,
        },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        version: '1.0',
        timestamp: now().toISOString(),
        DDBStreamBatchInfo: {
          shardId: this.shard,
          startSequenceNumber: sequenceOf(first),
          endSequenceNumber: sequenceOf(last),
          approximateArrivalOfFirstRecord: arrival(first),
          approximateArrivalOfLastRecord: arrival(last),
          batchSize: batch.length,
          streamArn: first.record.eventSourceARN ?? '',
        },
      };
      // The records are kept beside the shard: the failure record names them, a replay reads them.
      await renameInto(
        await writeTemp(tmp, batch.map((r) => `${JSON.stringify(r)}\n`).join('')),
        join(this.dir, 'failed', `${sequenceOf(first)}.jsonl`),
      );
      await this.mapping.onFailure?.(failure);
      await this.advance(sequenceOf(last));
    }
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
    consume(table, handler, mappingOptions = {}) {
      const mapping = {
        batchSize: mappingOptions.batchSize ?? 100,
        batchWindowSeconds: mappingOptions.batchWindowSeconds ?? 0,
        bisectBatchOnFunctionError: mappingOptions.bisectBatchOnFunctionError ?? false,
        maximumRetryAttempts: mappingOptions.maximumRetryAttempts ?? -1,
        reportBatchItemFailures: mappingOptions.reportBatchItemFailures ?? false,
        functionArn: mappingOptions.functionArn ?? '',
        retryDelayMs: mappingOptions.retryDelayMs ?? 100,
        pollIntervalMs: mappingOptions.pollIntervalMs ?? 50,
        ...(mappingOptions.onFailure !== undefined ? { onFailure: mappingOptions.onFailure } : {}),
      };
      const pollers = shardIds(table).map((shard) => new ShardPoller(table, shard, handler, mapping));
      for (const poller of pollers) {
        consumers.add(poller);
        poller.start();
      }
      return {
        async stop() {
          await Promise.all(pollers.map((p) => p.stop()));
          for (const poller of pollers) consumers.delete(poller);
        },
      };
    },
    async backlog(table) {
      let total = 0;
      for (const poller of consumers) if (poller.table === table) total += await poller.backlog();
      return total;
    },
    inFlight: () => [...consumers].filter((p) => p.busy).length,
    async idle(idleOptions = {}) {
      const deadline = Date.now() + (idleOptions.timeoutMs ?? 120_000);
      await Promise.all([...consumers].map((p) => p.ready));
      for (;;) {
        const left = await Promise.all([...consumers].map((p) => p.backlog()));
        if (left.every((n) => n === 0) && [...consumers].every((p) => !p.busy)) return;
        if (Date.now() > deadline)
          throw new Error('the DynamoDB stream still had records to process when the idle timeout ran out');
        await sleep(50);
      }
    },
    async close() {
      await Promise.all([...consumers].map((p) => p.stop()));
      consumers.clear();
    },
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
