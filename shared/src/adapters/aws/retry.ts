/**
 * Retry with exponential backoff and full jitter, for throttling and partial
 * batch failures. The sleep is injectable so tests do not wait.
 */
export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RetryOptions {
  /** Attempts in total, the first included. */
  attempts: number;
  /** Delay before the first retry; doubles each time, capped at `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: Sleep;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseDelayMs: 100, maxDelayMs: 5_000, sleep: realSleep };

/** The backoff before retry number `retry` (1-based): full jitter over an exponentially growing cap. */
export function backoffDelay(retry: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  return Math.round(cap / 2 + (Math.random() * cap) / 2);
}

const THROTTLING_ERRORS = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'SlowDown',
  'RequestLimitExceeded',
]);

/** Whether an SDK error says "slow down" rather than "this request is wrong". */
export function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return THROTTLING_ERRORS.has(error.name) || status === 429;
}

/** Runs `call`, retrying with backoff while it fails with a throttling error. */
export async function withThrottlingRetry<T>(
  call: () => Promise<T>,
  options: RetryOptions = DEFAULT_RETRY,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottling(error) || attempt >= options.attempts) throw error;
      await options.sleep(backoffDelay(attempt, options));
    }
  }
}

/** The SDK error's name, for matching service exceptions without importing each class. */
export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** The HTTP status the SDK recorded on a service error. */
export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}
