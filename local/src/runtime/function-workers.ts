/**
 * Runs a function in worker processes, as Lambda runs concurrent invocations
 * in separate containers: a pool of `size` warm processes (function-worker.ts)
 * over the same $LAKE_HOME, each taking one invocation at a time. This is what
 * gives `lake up` real parallelism for CPU-bound consumers such as the
 * normalizer; the queue, its visibility timeouts and its DLQ stay in the
 * runtime process, exactly as SQS stays outside Lambda.
 *
 * A worker that dies mid-invocation fails that invocation (the queue then
 * redelivers the messages) and is replaced on the next one.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LocalLake, ObjectCreatedEventName } from '@pulse-lake/shared/adapters/local/index';
import type { ParentMessage, WorkerMessage, WorkerSettings } from './function-worker-protocol';

const WORKER_MODULE = fileURLToPath(new URL('./function-worker.ts', import.meta.url));

/** An invocation failed inside a worker (the handler threw), or the worker died. */
export class WorkerInvocationError extends Error {
  override name = 'WorkerInvocationError';
}

export interface FunctionWorkerPool {
  invoke(event: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  /** The invocation in flight, failed if the process exits. */
  pending?: { id: number; resolve: (result: unknown) => void; reject: (error: Error) => void };
}

/** Starts `size` warm workers for the function described by `settings`, relaying their bus events and new objects to `lake`. */
export function startFunctionWorkers(lake: LocalLake, settings: WorkerSettings, size: number): FunctionWorkerPool {
  const workers: Worker[] = [];
  const waiting: ((worker: Worker) => void)[] = [];
  let nextInvocation = 0;
  let stopping = false;

  const spawnWorker = (): Worker => {
    const child = fork(WORKER_MODULE, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, WORKER_SETTINGS: JSON.stringify(settings) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let markReady: () => void = () => {};
    let failStart: (error: Error) => void = () => {};
    const worker: Worker = {
      child,
      busy: false,
      ready: new Promise<void>((resolve, reject) => ([markReady, failStart] = [resolve, reject])),
    };
    worker.ready.catch(() => {});
    child.on('message', (message: WorkerMessage) => {
      switch (message.kind) {
        case 'ready':
          markReady();
          break;
        case 'result':
        case 'failed': {
          const pending = worker.pending;
          if (pending?.id !== message.id) break;
          worker.pending = undefined;
          release(worker);
          if (message.kind === 'result') pending.resolve(message.result);
          else
            pending.reject(
              Object.assign(new WorkerInvocationError(message.error.message), { name: message.error.name }),
            );
          break;
        }
        case 'publish':
          lake.bus.publish(message.events).then(
            () => reply(child, { kind: 'published', id: message.id }),
            (error: unknown) =>
              reply(child, {
                kind: 'published',
                id: message.id,
                error: error instanceof Error ? error.message : 'publish failed',
              }),
          );
          break;
        case 'created':
          void lake.store
            .announce(message.bucket, message.key, message.eventName.replace(/^s3:/, '') as ObjectCreatedEventName)
            .catch(() => {});
          break;
      }
    });
    child.on('exit', (code, signal) => {
      const index = workers.indexOf(worker);
      if (index >= 0) workers.splice(index, 1);
      const why = new WorkerInvocationError(`worker of ${settings.functionName} exited (${signal ?? `code ${code}`})`);
      failStart(why);
      worker.pending?.reject(why);
      worker.pending = undefined;
    });
    workers.push(worker);
    return worker;
  };

  const release = (worker: Worker) => {
    const next = waiting.shift();
    if (next !== undefined) next(worker);
    else worker.busy = false;
  };

  const acquire = async (): Promise<Worker> => {
    const idle = workers.find((w) => !w.busy);
    if (idle !== undefined) {
      idle.busy = true;
      return idle;
    }
    if (workers.length < size) {
      const fresh = spawnWorker();
      fresh.busy = true;
      return fresh;
    }
    return new Promise<Worker>((resolve) => waiting.push(resolve));
  };

  for (let i = 0; i < size; i++) spawnWorker();

  return {
    async invoke(event) {
      if (stopping) throw new WorkerInvocationError(`the workers of ${settings.functionName} are stopping`);
      const worker = await acquire();
      await worker.ready;
      const id = nextInvocation++;
      return new Promise<unknown>((resolve, reject) => {
        worker.pending = { id, resolve, reject };
        reply(worker.child, { kind: 'invoke', id, event });
      });
    },
    async stop() {
      stopping = true;
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.child.exitCode !== null || worker.child.signalCode !== null) return resolve();
              worker.child.once('exit', () => resolve());
              reply(worker.child, { kind: 'stop' });
              // A worker stuck in an invocation is not waited for forever.
              setTimeout(() => worker.child.kill('SIGKILL'), 10_000).unref();
            }),
        ),
      );
    },
  };
}

function reply(child: ChildProcess, message: ParentMessage): void {
  if (child.connected) child.send(message);
}
