/** What each event source's wiring (one module per kind, beside this file) is given, and what it answers. */
import type { LocalLake } from '@pulse-lake/shared/adapters/local/index';
import type { RunningStreamEventSource } from '../event-sources/dynamodb-stream-event-source';
import type { RunningEventSource } from '../event-sources/event-source';
import type { FunctionWorkerPool } from '../function-workers';
import type { HttpRoute } from '../http-gateway';
import type { RunRegistration } from '../runs';
import type { FunctionWiring } from '../service-files';

/** The settings of startLake that the wiring reads. */
export interface WiringSettings {
  home: string;
  stage: string;
  region: string;
  accountId: string;
  /** Worker processes per SQS-triggered function (0: run in this process). */
  workers: number;
  /** Batches each in-process SQS mapping runs at once. */
  concurrency: number;
  retryAfterSeconds?: number;
  streamBatchWindowSeconds?: number;
  /** Whether an HTTP gateway will serve the routes. */
  serveHttp: boolean;
}

/** What the wiring started, for startLake to serve, drain and stop. */
export interface WiredParts {
  /** Undone first on stop (S3 listeners, bus rules, schedules, idle tracking). */
  unsubscribes: (() => void)[];
  mappings: RunningEventSource[];
  /** The stream mappings per table, for their backlog. */
  streams: Map<string, RunningStreamEventSource[]>;
  httpRoutes: HttpRoute[];
  pools: FunctionWorkerPool[];
  /** Messages a dead run had left in flight, made visible again. */
  recovered: number;
}

export interface WiringContext {
  lake: LocalLake;
  settings: WiringSettings;
  run: RunRegistration;
  onError: (component: string, error: unknown) => void;
  parts: WiredParts;
}

/** A loaded function, ready to be invoked as Lambda invokes it. */
export interface LoadedFunction {
  /** `<service>.<function>`, as `lake up` lists it. */
  id: string;
  wiring: FunctionWiring;
  /** A synchronous invocation with a fresh Lambda context. */
  invoke(event: unknown): Promise<unknown>;
  /** An asynchronous invocation (S3): a failure is retried twice before it is given up. */
  invokeAsync(event: unknown): Promise<unknown>;
}

/** The line `lake up` prints for a served source, or why the source is not served. */
export type Wired = { served: string } | { unserved: string };
