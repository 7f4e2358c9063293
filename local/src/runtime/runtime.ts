/**
 * The embedded lake: every service's handlers, composed with the local
 * stand-ins and fed by the event sources their serverless.yml declares
 * (S3 notifications, SQS consumers, EventBridge rules, schedules, HTTP routes,
 * DynamoDB streams). Like serverless-offline, for every event source the lake
 * uses. Each kind of source is wired by its own module in wiring/.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalLake } from '@pulse-lake/shared/adapters/local/index';
import { buildLocalLake } from '@pulse-lake/shared/adapters/local/index';
import { DEFAULT_REGION } from '@pulse-lake/shared/lake/names';
import type { HttpGateway } from './http-gateway';
import { startHttpGateway } from './http-gateway';
import { lambdaContext } from './lambda-context';
import type { LambdaHandler } from './load-handler';
import { loadHandler } from './load-handler';
import { registerRun } from './runs';
import type { EventSource, LakeWiring } from './service-files';
import { readLakeWiring } from './service-files';
import type { LoadedFunction, WiredParts, WiringContext } from './wiring/index';
import { wireSource } from './wiring/index';

export type { LambdaHandler } from './load-handler';
export { HandlerModuleError } from './load-handler';

/** The repository root (holding `services/`), from this file's place in local/src/runtime/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const ASYNC_INVOKE_ATTEMPTS = 3;
const ASYNC_RETRY_DELAY_MS = 200;

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
  const wiring = readLakeWiring({ root: options.root ?? REPO_ROOT, stage, region, accountId });
  const served: string[] = [];
  const unserved: UnservedSource[] = [];
  const parts: WiredParts = {
    unsubscribes: [],
    mappings: [],
    streams: new Map(),
    httpRoutes: [],
    pools: [],
    recovered: 0,
  };
  const context: WiringContext = {
    lake,
    run,
    onError,
    parts,
    settings: {
      home,
      stage,
      region,
      accountId,
      workers: options.workers ?? 0,
      concurrency: options.concurrency ?? 2,
      serveHttp: options.httpPort !== undefined,
      ...(options.retryAfterSeconds !== undefined ? { retryAfterSeconds: options.retryAfterSeconds } : {}),
      ...(options.streamBatchWindowSeconds !== undefined
        ? { streamBatchWindowSeconds: options.streamBatchWindowSeconds }
        : {}),
    },
  };

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
    const loaded: LoadedFunction = {
      id,
      wiring: fn,
      invoke,
      // S3 invokes Lambda asynchronously: a failure is retried twice before it is given up.
      async invokeAsync(event) {
        for (let attempt = 1; ; attempt++) {
          try {
            return await invoke(event);
          } catch (error) {
            if (attempt >= ASYNC_INVOKE_ATTEMPTS) throw error;
            await new Promise((wake) => setTimeout(wake, ASYNC_RETRY_DELAY_MS * attempt));
          }
        }
      },
    };
    for (const source of fn.events) {
      const wired = await wireSource(context, loaded, source);
      if ('served' in wired) served.push(wired.served);
      else unserved.push({ function: id, kind: source.kind, reason: wired.unserved });
    }
  }

  let http: HttpGateway | undefined;
  if (options.httpPort !== undefined && parts.httpRoutes.length > 0) {
    http = await startHttpGateway(parts.httpRoutes, {
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
    recovered: parts.recovered,
    drain: (drainOptions) => lake.idle(drainOptions),
    async streamBacklog(table) {
      const backlogs = await Promise.all((parts.streams.get(table) ?? []).map((mapping) => mapping.backlog()));
      return backlogs.reduce((a, b) => a + b, 0);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const unsubscribe of parts.unsubscribes) unsubscribe();
      await http?.close();
      // Mappings stop first (no new batches), then the lake, then the workers finish theirs.
      await Promise.all(parts.mappings.map((mapping) => mapping.stop()));
      await lake.close();
      await Promise.all(parts.pools.map((pool) => pool.stop()));
      run.release();
    },
  };
}
