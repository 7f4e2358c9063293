/**
 * One shard of Lambda's DynamoDB stream event source mapping: takes the
 * shard's lease (one process at a time), then reads it in order, batch by
 * batch, with the mapping's batch size, batching window, retries, bisection on
 * error and on-failure destination, checkpointing after each finished batch.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { StreamRecord, StreamShard } from '@pulse-lake/shared/adapters/local/index';
import { sequenceOf } from '@pulse-lake/shared/adapters/local/index';
import { failedIndexes, sleep } from './event-source';
import type { StreamFailureRecord } from './stream-failure-record';
import { streamFailureRecord } from './stream-failure-record';

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

/** The mapping's settings, defaults applied (see dynamodb-stream-event-source.ts). */
export interface ShardMapping {
  batchSize: number;
  batchWindowSeconds: number;
  bisectBatchOnFunctionError: boolean;
  maximumRetryAttempts: number;
  reportBatchItemFailures: boolean;
  functionArn: string;
  retryDelayMs: number;
  pollIntervalMs: number;
  onFailure?: (record: StreamFailureRecord) => Promise<void>;
  now: () => Date;
  onError: (component: string, error: unknown) => void;
}

export class ShardPoller {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private pending: StreamRecord[] = [];
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
    private readonly shard: StreamShard,
    private readonly handler: StreamHandler,
    private readonly mapping: ShardMapping,
  ) {}

  private get component(): string {
    return `dynamodb stream ${this.table}/${this.shard.shardId}`;
  }

  start(): void {
    this.loop = this.run().catch((error: unknown) => this.mapping.onError(this.component, error));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    if (this.leased) await this.shard.lease.release();
  }

  /** Records this process still has to finish on this shard (0 when another process holds the lease). */
  async backlog(): Promise<number> {
    if (!this.leased) return 0;
    await this.load();
    return this.pending.length;
  }

  /** Takes the lease and reads the checkpoint before this poller reports a backlog. */
  private async claim(): Promise<boolean> {
    if (!(await this.shard.lease.tryTake())) return false;
    this.checkpoint = await this.shard.lease.readCheckpoint();
    this.leased = true;
    return true;
  }

  /** Reads new segments; one read at a time, so a backlog check never loads a segment twice. */
  private load(): Promise<void> {
    this.loading ??= this.loadNew().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async loadNew(): Promise<void> {
    const records = await this.shard.readNew();
    if (records.length === 0) return;
    this.pending.push(...records.filter((r) => sequenceOf(r) > this.checkpoint));
    this.pending.sort((a, b) => (sequenceOf(a) < sequenceOf(b) ? -1 : 1));
  }

  /** Marks everything up to `sequence` finished; the log drops what lies wholly before the rest. */
  private async advance(sequence: string): Promise<void> {
    this.checkpoint = sequence;
    this.pending = this.pending.filter((r) => sequenceOf(r) > sequence);
    await this.shard.lease.writeCheckpoint(sequence);
    await this.shard.trimBefore(this.pending[0] !== undefined ? sequenceOf(this.pending[0]) : undefined);
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
    let retry: { batch: StreamRecord[]; attempts: number } | undefined;
    while (!this.stopped) {
      if (Date.now() - lastHeartbeat > 1000) {
        await this.shard.lease.renew();
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
        await this.advance(sequenceOf(batch[batch.length - 1] as StreamRecord));
        retry = undefined;
        continue;
      }
      // Records before the first failure are done; Lambda retries from it.
      const before = batch.slice(0, failedFrom);
      if (before.length > 0) await this.advance(sequenceOf(before[before.length - 1] as StreamRecord));
      let remaining = batch.slice(failedFrom);
      let attempts =
        retry !== undefined && sequenceOf(retry.batch[0] as StreamRecord) === sequenceOf(remaining[0] as StreamRecord)
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
  private nextBatch(): StreamRecord[] | undefined {
    const first = this.pending[0];
    if (first === undefined) return undefined;
    const windowOpen = Date.now() - first.arrivedAtMs < this.mapping.batchWindowSeconds * 1000;
    if (this.pending.length < this.mapping.batchSize && windowOpen && !this.stopped) return undefined;
    return this.pending.slice(0, this.mapping.batchSize);
  }

  /** Runs the handler; returns the index of the first failed record, or undefined when the batch succeeded. */
  private async invoke(batch: StreamRecord[]): Promise<number | undefined> {
    let response: DynamoDBBatchResponse | void;
    try {
      response = await this.handler({ Records: batch.map((r) => r.record) });
    } catch (error) {
      this.mapping.onError(this.component, error);
      return 0;
    }
    if (!this.mapping.reportBatchItemFailures) return undefined;
    // Lambda retries from the lowest reported sequence number; one it cannot find fails the whole batch.
    const [first] = failedIndexes(response, batch.map(sequenceOf));
    return first;
  }

  private async giveUp(batch: StreamRecord[], attempts: number): Promise<void> {
    const failure = streamFailureRecord(
      batch,
      this.shard.shardId,
      attempts,
      this.mapping.functionArn,
      this.mapping.now(),
    );
    // The records are kept beside the shard: the failure record names them, a replay reads them.
    await this.shard.keepFailed(batch);
    await this.mapping.onFailure?.(failure);
    await this.advance(sequenceOf(batch[batch.length - 1] as StreamRecord));
  }
}
