/**
 * The embedded lake: every port on its local stand-in under one LAKE_HOME,
 * plus the controls the local runtime needs to wire events (S3 notifications,
 * queue consumers, bus rules, schedules) and to wait for quiet.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, LakeDeps } from '../../ports';
import { systemClock } from '../../ports';
import type { LakeNames } from '../../lake/names';
import { DEFAULT_REGION, lakeNames } from '../../lake/names';
import { describeError } from './files';
import type { LocalCatalog } from './catalog';
import { buildLocalCatalog } from './catalog';
import type { LocalCrawlers } from './crawlers';
import { buildLocalCrawlers } from './crawlers';
import type { LocalEventBus } from './event-bus';
import { buildLocalEventBus } from './event-bus';
import type { FolderWatcher, FolderWatcherOptions } from './folder-watcher';
import { watchBucketFolder } from './folder-watcher';
import type { LocalKeyStore } from './key-store';
import { buildLocalKeyStore } from './key-store';
import type { LocalPartnerRegistry } from './partner-registry';
import { buildLocalPartnerRegistry } from './partner-registry';
import type { LocalObjectStore } from './object-store';
import { buildLocalObjectStore } from './object-store';
import type { LocalQueryEngine } from './query-engine';
import { buildLocalQueryEngine } from './query-engine';
import type { LocalQueue } from './queue';
import { buildLocalQueue } from './queue';
import type { LocalScheduler } from './scheduler';
import type { LocalSecretStore } from './secret-store';
import { buildLocalSecretStore } from './secret-store';
import type { ConnectorSource } from '../../connectors/connector-files';
import { connectorFolder } from '../../connectors/connector-files';
import { buildLocalScheduler } from './scheduler';
import type { LocalStreamTables } from './stream-table';
import { buildLocalStreamTables } from './stream-table';

export type { LocalCatalog } from './catalog';
export type { CrawlerKicks, LocalCrawlers } from './crawlers';
export type { BusEvent, BusRule, EventPattern, LocalEventBus } from './event-bus';
export type { FolderWatcher, FolderWatcherOptions } from './folder-watcher';
export type { LocalKeyStore } from './key-store';
export type { LocalPartnerRegistry } from './partner-registry';
export { buildLocalPartnerRegistry } from './partner-registry';
export type { LocalObjectStore, ObjectCreatedListener } from './object-store';
export type { LocalQueryEngine } from './query-engine';
export type { ConsumeOptions, ListedMessage, LocalQueue, QueueConsumer, QueueDepth, SqsBatchHandler } from './queue';
export type { LocalScheduler, ScheduleOptions } from './scheduler';
export type { LocalSecretStore } from './secret-store';
export { nextFireTime } from './scheduler';
export type {
  KeySchema,
  LocalStreamTables,
  PlainItem,
  StreamFailureRecord,
  StreamMappingOptions,
  TableDefinition,
} from './stream-table';

export interface LocalLakeOptions {
  stage?: string;
  region?: string;
  account?: string;
  clock?: Clock;
  /** Where background failures (listeners, consumers, rules, schedules) go; default one line on stderr each. */
  onError?: (component: string, error: unknown) => void;
}

export interface LocalLake extends LakeDeps {
  readonly home: string;
  store: LocalObjectStore;
  queue: LocalQueue;
  bus: LocalEventBus;
  catalog: LocalCatalog;
  crawlers: LocalCrawlers;
  engine: LocalQueryEngine;
  keys: LocalKeyStore;
  partners: LocalPartnerRegistry;
  secrets: LocalSecretStore;
  connectors: ConnectorSource;
  /** `$LAKE_HOME/connectors/`: one `<name>.json` per source. */
  readonly connectorsDir: string;
  clock: Clock;
  names: LakeNames;
  scheduler: LocalScheduler;
  /** DynamoDB tables with streams (the device telemetry table). */
  tables: LocalStreamTables;
  /** Starts announcing files dropped by hand into `bucket`'s folder; stopped by close(). */
  watchBucket(bucket: string, options?: FolderWatcherOptions): FolderWatcher;
  /**
   * Resolves when nothing is left to do: no S3 notification, bus delivery,
   * scheduled firing or query running, and no message visible or in flight
   * in any queue a consumer was started on. For one-shot CLI runs and tests.
   */
  idle(options?: { timeoutMs?: number }): Promise<void>;
  /** Stops watchers, consumers and schedules, then waits for running work. */
  close(): Promise<void>;
}

/** The embedded lake did not settle within the timeout. */
export class LakeIdleTimeoutError extends Error {
  override name = 'LakeIdleTimeoutError';
}

/**
 * Composes the local stand-ins rooted at `home` (the caller resolves
 * LAKE_HOME, default ./.lake). Creates the stage's bucket folders, as a deploy
 * creates the buckets, so files can be dropped into the dropzone folder at once.
 */
export function buildLocalLake(home: string, options: LocalLakeOptions = {}): LocalLake {
  const names = lakeNames(options.stage ?? 'local');
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const region = options.region ?? DEFAULT_REGION;
  const account = options.account ?? '000000000000';
  const report = (component: string) => (error: unknown) => {
    if (options.onError !== undefined) options.onError(component, error);
    else process.stderr.write(`[pulse-lake local ${component}] ${describeError(error)}\n`);
  };

  for (const bucket of Object.values(names.buckets)) mkdirSync(join(home, 's3', bucket), { recursive: true });

  const store = buildLocalObjectStore(home, { region, now, onListenerError: report('s3') });
  const baseQueue = buildLocalQueue(home, { region, account, now });
  const consumedQueues = new Set<string>();
  const queue: LocalQueue = {
    ...baseQueue,
    consume(queueName, handler, consumeOptions = {}) {
      consumedQueues.add(queueName);
      return baseQueue.consume(queueName, handler, { onError: report(`sqs ${queueName}`), ...consumeOptions });
    },
  };
  const bus = buildLocalEventBus({ region, account, now, onError: report('eventbridge') });
  const scheduler = buildLocalScheduler({ region, account, now, onError: report('scheduler') });
  const catalog = buildLocalCatalog(home, { now });
  const crawlers = buildLocalCrawlers(home, { now });
  const engine = buildLocalQueryEngine({ home, store, catalog, names, now });
  const keys = buildLocalKeyStore(home);
  const partners = buildLocalPartnerRegistry(home);
  const tables = buildLocalStreamTables(home, {
    region,
    account,
    now,
    onError: (component, error) => report(component)(error),
  });
  const connectorsDir = join(home, 'connectors');
  const watchers = new Set<FolderWatcher>();

  async function settleOnce(timeoutMs: number): Promise<void> {
    await Promise.all([store.idle(), bus.idle(), scheduler.idle(), engine.idle(), tables.idle({ timeoutMs })]);
    for (const name of consumedQueues) await queue.idle(name, { timeoutMs });
  }

  return {
    home,
    store,
    queue,
    bus,
    catalog,
    crawlers,
    engine,
    keys,
    partners,
    secrets: buildLocalSecretStore(home),
    connectors: connectorFolder(connectorsDir),
    connectorsDir,
    clock,
    names,
    region,
    scheduler,
    tables,
    watchBucket(bucket, watchOptions = {}) {
      const watcher = watchBucketFolder(store, bucket, { onError: report(`watch ${bucket}`), ...watchOptions });
      watchers.add(watcher);
      return watcher;
    },
    async idle(idleOptions = {}) {
      const deadline = Date.now() + (idleOptions.timeoutMs ?? 120_000);
      // Work begets work (a put notifies, a handler sends, a message publishes), so settle until a pass finds nothing.
      for (let quietPasses = 0; quietPasses < 2; ) {
        const remaining = deadline - Date.now();
        if (remaining <= 0)
          throw new LakeIdleTimeoutError('the local lake still had work in flight when the idle timeout ran out');
        await settleOnce(remaining);
        const depths = await Promise.all([...consumedQueues].map((name) => queue.depth(name)));
        const busy =
          store.inFlight() + bus.inFlight() + scheduler.inFlight() + engine.inFlight() + tables.inFlight() > 0 ||
          depths.some((d) => d.visible + d.inFlight > 0);
        // Two quiet passes in a row, a poll apart, so work started by the last handler is seen too.
        quietPasses = busy ? 0 : quietPasses + 1;
        if (quietPasses < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      await Promise.all([...watchers].map((w) => w.stop()));
      await tables.close();
      await queue.close();
      await scheduler.stop();
      await Promise.all([store.idle(), bus.idle(), engine.idle()]);
      await engine.close();
    },
  };
}
