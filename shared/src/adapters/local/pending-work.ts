import { describeError } from './files';

/**
 * Tracks fire-and-forget work (S3 notifications, EventBridge deliveries) so a
 * one-shot CLI run or a test can await "nothing left in flight".
 */
export interface PendingWork {
  /** Runs `fn` asynchronously (never inside the caller's stack), reporting a failure to `onError`. */
  spawn(fn: () => Promise<void>): void;
  /** How many spawned tasks have not settled yet. */
  readonly size: number;
  /** Resolves once no spawned task is running, including tasks spawned by tasks. */
  idle(): Promise<void>;
}

/** Creates a tracker; `onError` receives every failure of a spawned task. */
export function createPendingWork(onError: (error: unknown) => void): PendingWork {
  const running = new Set<Promise<void>>();
  return {
    spawn(fn) {
      const task: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(fn)
        .catch((error: unknown) => onError(error))
        .finally(() => running.delete(task));
      running.add(task);
    },
    get size() {
      return running.size;
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}

/** Reports a background failure without its stack or payload (which may hold row values). */
export function reportToStderr(component: string): (error: unknown) => void {
  return (error) => {
    process.stderr.write(`[pulse-lake local ${component}] ${describeError(error)}\n`);
  };
}
