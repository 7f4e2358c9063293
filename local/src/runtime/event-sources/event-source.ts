/**
 * What the local event source mappings share: the controls the runtime holds
 * them by, Lambda's ReportBatchItemFailures rules, and their waits.
 */

/** A running event source mapping (SQS or a DynamoDB stream), as the runtime holds it. */
export interface RunningEventSource {
  /** Resolves when the source has nothing left to deliver; throws when `timeoutMs` runs out first. */
  idle(options: { timeoutMs: number }): Promise<void>;
  /** Whether a batch is running or records are waiting, right now. */
  busy(): Promise<boolean>;
  /** Stops polling and waits for running batches to finish. */
  stop(): Promise<void>;
}

/** Where a mapping reports handler failures by default: `name: message` on stderr, never a stack or payload (row values). */
export const reportToStderr =
  (component: string) =>
  (error: unknown): void => {
    const { name, message } = (typeof error === 'object' && error !== null ? error : {}) as {
      name?: unknown;
      message?: unknown;
    };
    const described =
      typeof message === 'string' ? `${typeof name === 'string' ? name : 'Error'}: ${message}` : 'non-error thrown';
    process.stderr.write(`[pulse-lake local ${component}] ${described}\n`);
  };

/**
 * The indexes of the records a handler's response reports as failed, by
 * Lambda's ReportBatchItemFailures rules (the same for SQS and streams): no
 * response or no `batchItemFailures` list means the whole batch succeeded; an
 * empty, missing or unknown `itemIdentifier` fails the whole batch.
 * `identifiers` are the batch's message ids (SQS) or sequence numbers (streams).
 */
export function failedIndexes(response: unknown, identifiers: readonly string[]): number[] {
  if (typeof response !== 'object' || response === null) return [];
  const failures: unknown = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (!Array.isArray(failures)) return [];
  const failed = new Set<number>();
  for (const failure of failures) {
    const id: unknown = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index = typeof id === 'string' && id !== '' ? identifiers.indexOf(id) : -1;
    if (index < 0) return identifiers.map((_, i) => i);
    failed.add(index);
  }
  return [...failed].sort((a, b) => a - b);
}

export const sleep = (ms: number): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, ms));
