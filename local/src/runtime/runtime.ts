/**
 * The embedded lake: every service's handlers, composed with the local
 * stand-ins and fed by the event sources their serverless.yml declares
 * (S3 notifications, SQS consumers, EventBridge rules, schedules, HTTP routes).
 * Like serverless-offline, for every event source the lake uses.
 */
import type { Context, DynamoDBBatchResponse, S3Event, S3EventRecord, SQSBatchResponse } from 'aws-lambda';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_REGION } from '@pulse-lake/shared/lake/names';
import type { LakeDeps } from '@pulse-lake/shared/ports';
import type { EventPattern, LocalLake } from '@pulse-lake/shared/adapters/local/index';
import { buildLocalLake } from '@pulse-lake/shared/adapters/local/index';
import type { HttpGateway, HttpRoute } from './http-gateway';
import { startHttpGateway } from './http-gateway';
import type { FunctionWorkerPool } from './function-workers';
import { startFunctionWorkers } from './function-workers';
import type { RunningEventSource } from './event-sources/event-source';
import type { RunningStreamEventSource } from './event-sources/dynamodb-stream-event-source';
import { startDynamoDbStreamEventSource } from './event-sources/dynamodb-stream-event-source';
import { startSqsEventSource } from './event-sources/sqs-event-source';
import { lambdaContext } from './lambda-context';
import { registerRun } from './runs';
import type { EventSource, FunctionWiring, LakeWiring } from './service-files';
import { readLakeWiring } from './service-files';

/** The repository root (holding `services/`), from this file's place in local/src/runtime/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const ASYNC_INVOKE_ATTEMPTS = 3;
const ASYNC_RETRY_DELAY_MS = 200;

/** A Lambda handler as the services export it from `createHandler(deps)`. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface StartLakeOptions {
  home: string;
  stage?: string;
  region?: string;
  /** Batches each SQS consumer runs at once (Lambda's maximum concurrency; default 2). */
  concurrency?: number;
  /**
   * Run each SQS consumer in this many worker processes (warm containers, one
   * batch each at a time) instead of in this process: real parallelism for
   * CPU-bound consumers such as the normalizer. 0 (the default) runs them here.
   */
  workers?: number;
  /** Serve the services' HTTP routes on this port (0 = any free port); omitted = no HTTP server. */
  httpPort?: number;
  /** Watch the dropzone bucket's folder for files dropped by hand (`lake up`). */
  watchDropzone?: boolean;
  /**
   * One-shot runs (`lake ingest`, tests) retry a failed batch after this many
   * seconds instead of at the end of the queue's deployed visibility timeout, so
   * a transient failure costs a second, not minutes. A slow batch that succeeds
   * keeps the whole timeout (a shorter one had long chunks redelivered while
   * still running). Receive counts and the DLQ still apply.
   */
  retryAfterSeconds?: number;
  /**
   * Overrides every stream mapping's batching window (seconds): one-shot runs and
   * tests need not wait out a window sized for cost on AWS.
   */
  streamBatchWindowSeconds?: number;
  /** Where background failures go (default: one line each on stderr). */
  onError?: (component: string, error: unknown) => void;
  /** Repository root holding services/ (default: this checkout). */
  root?: string;
}

/** An event source the local lake does not serve, with why. */
export interface UnservedSource {
  function: string;
  kind: EventSource['kind'];
  reason: string;
}

export interface RunningLake {
  lake: LocalLake;
  wiring: LakeWiring;
  /** Sources wired to a local stand-in, one line each (`ingest-files.normalize-chunk <- sqs pulse-lake-local-normalize`). */
  served: string[];
  unserved: UnservedSource[];
  http?: HttpGateway;
  /** Messages a run that died had left in flight, made visible again at start (see runs.ts). */
  recovered: number;
  /** Resolves when no S3 notification, queue message, bus delivery or schedule firing is left. */
  drain(options?: { timeoutMs?: number }): Promise<void>;
  /** Stream records of `table` that this run's mappings have not finished yet. */
  streamBacklog(table: string): Promise<number>;
  stop(): Promise<void>;
}

/** A handler module exists but does not export `createHandler(deps)`. */
export class HandlerModuleError extends Error {
  override name = 'HandlerModuleError';
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
  }
}

async function loadHandler(fn: FunctionWiring, deps: LakeDeps): Promise<LambdaHandler> {
  let module: { createHandler?: unknown };
  try {
    module = (await import(pathToFileURL(fn.handlerFile).href)) as { createHandler?: unknown };
  } catch (error) {
    const why = error instanceof Error ? `: ${error.message.split('\n')[0] ?? ''}` : '';
    throw new HandlerModuleError(fn.handlerFile, `cannot be loaded for ${fn.service}.${fn.name}${why}`, {
      cause: error,
    });
  }
  if (typeof module.createHandler !== 'function')
    throw new HandlerModuleError(fn.handlerFile, 'does not export createHandler(deps)');
  const handler: unknown = (module.createHandler as (deps: LakeDeps) => unknown)(deps);
  if (typeof handler !== 'function')
    throw new HandlerModuleError(fn.handlerFile, 'createHandler(deps) did not return a handler function');
  return handler as LambdaHandler;
}

function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** S3 notification filters: event name (with `*`), key prefix and suffix. */
function s3Matches(source: Extract<EventSource, { kind: 's3' }>, record: S3EventRecord): boolean {
  const wanted = source.event.replace(/^s3:/, '');
  const eventOk = wanted.endsWith('*') ? record.eventName.startsWith(wanted.slice(0, -1)) : record.eventName === wanted;
  const key = decodeS3Key(record.s3.object.key);
  return (
    eventOk &&
    (source.prefix === undefined || key.startsWith(source.prefix)) &&
    (source.suffix === undefined || key.endsWith(source.suffix))
  );
}

/**
 * Starts the embedded lake under `home`: builds the local stand-ins, loads
 * every handler named by the services' serverless.yml files and subscribes
 * each to its event sources. Functions whose module is missing or whose
 * sources have no local stand-in are listed in `unserved`, never dropped silently.
 */
export async function startLake(options: StartLakeOptions): Promise<RunningLake> {
  const stage = options.stage ?? 'local';
  const region = options.region ?? process.env.AWS_REGION ?? DEFAULT_REGION;
  const accountId = '000000000000';
  const home = resolve(options.home);
  mkdirSync(home, { recursive: true });
  const onError =
    options.onError ??
    ((component: string, error: unknown) => {
      process.stderr.write(
        `[lake ${component}] ${error instanceof Error ? `${error.name}: ${error.message}` : 'non-error thrown'}\n`,
      );
    });
  const lake = buildLocalLake(home, { stage, region, account: accountId, onError });
  const run = registerRun(home);
  let recovered = 0;
  const wiring = readLakeWiring({ root: options.root ?? REPO_ROOT, stage, region, accountId });
  const served: string[] = [];
  const unserved: UnservedSource[] = [];
  const unsubscribes: (() => void)[] = [];
  const httpRoutes: HttpRoute[] = [];
  const pools: FunctionWorkerPool[] = [];
  const mappings: RunningEventSource[] = [];
  const streams = new Map<string, RunningStreamEventSource[]>();

  for (const fn of wiring.functions) {
    const id = `${fn.service}.${fn.name}`;
    let handler: LambdaHandler;
    try {
      handler = await loadHandler(fn, lake);
    } catch (error) {
      const why = error instanceof Error ? error.message : 'cannot be loaded';
      for (const event of fn.events) unserved.push({ function: id, kind: event.kind, reason: why });
      onError(`load ${id}`, error);
      continue;
    }
    const invoke = (event: unknown) =>
      handler(
        event,
        lambdaContext({
          functionName: fn.functionName,
          timeoutSeconds: fn.timeoutSeconds,
          memorySize: fn.memorySize,
          region,
          accountId,
        }),
      );

    // S3 and EventBridge invoke Lambda asynchronously: a failure is retried twice before it is given up.
    const invokeAsync = async (event: unknown) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await invoke(event);
        } catch (error) {
          if (attempt >= ASYNC_INVOKE_ATTEMPTS) throw error;
          await new Promise((wake) => setTimeout(wake, ASYNC_RETRY_DELAY_MS * attempt));
        }
      }
    };

    for (const source of fn.events) {
      switch (source.kind) {
        case 's3': {
          unsubscribes.push(
            lake.store.onObjectCreated(source.bucket, async (record) => {
              if (!s3Matches(source, record)) return;
              const event: S3Event = { Records: [record] };
              await invokeAsync(event);
            }),
          );
          served.push(
            `${id} <- s3 ${source.bucket}${source.prefix ? `/${source.prefix}` : ''}${source.suffix ? ` *${source.suffix}` : ''}`,
          );
          break;
        }
        case 'sqs': {
          const workers = options.workers ?? 0;
          const pool =
            workers > 0
              ? startFunctionWorkers(
                  lake,
                  {
                    home,
                    stage,
                    region,
                    accountId,
                    functionName: fn.functionName,
                    handlerFile: fn.handlerFile,
                    timeoutSeconds: fn.timeoutSeconds,
                    memorySize: fn.memorySize,
                  },
                  workers,
                )
              : undefined;
          if (pool !== undefined) pools.push(pool);
          // Messages a dead run held would otherwise wait out their visibility timeout.
          if (run.deadRuns > 0 && run.liveRuns === 0) recovered += await lake.queue.releaseInFlight(source.queueName);
          lake.queue.setAttributes(source.queueName, {
            visibilityTimeoutSeconds: source.visibilityTimeoutSeconds ?? 30,
            ...(source.redrive
              ? {
                  redrivePolicy: {
                    maxReceiveCount: source.redrive.maxReceiveCount,
                    deadLetterQueue: source.redrive.deadLetterQueue,
                  },
                }
              : {}),
          });
          const mapping = startSqsEventSource(
            lake.queue,
            source.queueName,
            async (event) => {
              const result = pool !== undefined ? await pool.invoke(event) : await invoke(event);
              // Without ReportBatchItemFailures, Lambda ignores the response: a batch that did not throw succeeded whole.
              return source.reportBatchItemFailures ? (result as SQSBatchResponse | undefined) : undefined;
            },
            {
              batchSize: source.batchSize,
              concurrency: pool !== undefined ? workers : (options.concurrency ?? 2),
              ...(options.retryAfterSeconds !== undefined ? { retryAfterSeconds: options.retryAfterSeconds } : {}),
              onError: (error) => onError(`sqs ${source.queueName}`, error),
            },
          );
          mappings.push(mapping);
          unsubscribes.push(lake.track(mapping));
          served.push(
            `${id} <- sqs ${source.queueName} (batch ${source.batchSize}${source.redrive ? `, DLQ ${source.redrive.deadLetterQueue} after ${source.redrive.maxReceiveCount} receives` : ''}${pool !== undefined ? `, ${workers} worker process${workers === 1 ? '' : 'es'}` : ''})`,
          );
          break;
        }
        case 'eventBridge': {
          unsubscribes.push(
            lake.bus.addRule({
              name: source.ruleName,
              pattern: source.pattern as EventPattern,
              target: async (event) => void (await invoke(event)),
            }),
          );
          served.push(`${id} <- eventbridge ${JSON.stringify(source.pattern)}`);
          break;
        }
        case 'schedule': {
          if (!source.enabled) {
            unserved.push({
              function: id,
              kind: 'schedule',
              reason: `schedule ${source.expression} is disabled in serverless.yml`,
            });
            break;
          }
          unsubscribes.push(
            lake.scheduler.schedule(
              source.ruleName,
              source.expression,
              async (event) => void (await invoke(event)),
              source.input !== undefined ? { input: source.input } : {},
            ),
          );
          served.push(`${id} <- schedule ${source.expression}`);
          break;
        }
        case 'http': {
          if (options.httpPort === undefined) {
            unserved.push({
              function: id,
              kind: 'http',
              reason: `${source.method} ${source.path}: no HTTP server in one-shot runs (lake up serves it)`,
            });
            break;
          }
          httpRoutes.push({ source, functionName: fn.functionName, invoke: (event) => invoke(event) });
          served.push(
            `${id} <- http ${source.method} ${source.path}${source.iamAuthorized === true ? ' (aws_iam not enforced locally; bound to 127.0.0.1)' : ''}`,
          );
          break;
        }
        case 'stream': {
          // Starting the lake creates the table, as a deploy does, so `lake telemetry put` can write before any reading exists.
          await lake.tables.define({ name: source.table, keySchema: source.keySchema });
          const onFailureQueue = source.onFailureQueue;
          const mapping = startDynamoDbStreamEventSource(
            lake.tables,
            source.table,
            async (event) => (await invoke(event)) as DynamoDBBatchResponse | undefined,
            {
              batchSize: source.batchSize,
              batchWindowSeconds: options.streamBatchWindowSeconds ?? source.batchWindowSeconds,
              bisectBatchOnFunctionError: source.bisectBatchOnFunctionError,
              maximumRetryAttempts: source.maximumRetryAttempts,
              reportBatchItemFailures: source.reportBatchItemFailures,
              functionArn: `arn:aws:lambda:${region}:${accountId}:function:${fn.functionName}`,
              now: () => lake.clock.now(),
              onError,
              ...(onFailureQueue !== undefined
                ? {
                    onFailure: (record) =>
                      lake.queue.send(onFailureQueue, [
                        { id: record.requestContext.requestId, body: JSON.stringify(record) },
                      ]),
                  }
                : {}),
            },
          );
          streams.set(source.table, [...(streams.get(source.table) ?? []), mapping]);
          mappings.push(mapping);
          unsubscribes.push(lake.track(mapping));
          served.push(
            `${id} <- dynamodb stream ${source.table} (batch ${source.batchSize}, window ${options.streamBatchWindowSeconds ?? source.batchWindowSeconds}s${source.bisectBatchOnFunctionError ? ', bisect' : ''}${onFailureQueue !== undefined ? `, on failure -> ${onFailureQueue} after ${source.maximumRetryAttempts} retries` : ''})`,
          );
          break;
        }
      }
    }
  }

  let http: HttpGateway | undefined;
  if (options.httpPort !== undefined && httpRoutes.length > 0) {
    http = await startHttpGateway(httpRoutes, {
      port: options.httpPort,
      stage,
      accountId,
      onError: (error) => onError('http', error),
    });
  }
  if (options.watchDropzone) lake.watchBucket(lake.names.buckets.dropzone, { intervalMs: 500 });

  let stopped = false;
  return {
    lake,
    wiring,
    served,
    unserved,
    ...(http ? { http } : {}),
    recovered,
    drain: (drainOptions) => lake.idle(drainOptions),
    async streamBacklog(table) {
      const backlogs = await Promise.all((streams.get(table) ?? []).map((mapping) => mapping.backlog()));
      return backlogs.reduce((a, b) => a + b, 0);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const unsubscribe of unsubscribes) unsubscribe();
      await http?.close();
      await Promise.all(mappings.map((mapping) => mapping.stop()));
      // Consumers stop first (no new batches), then the workers finish theirs.
      await lake.close();
      await Promise.all(pools.map((pool) => pool.stop()));
      run.release();
    },
  };
}
