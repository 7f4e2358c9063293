/**
 * Refusals: what the lake will not do for a caller, for a reason the caller can
 * fix. The core says what went wrong (a kind) and names it for programs (a
 * stable code); only the edge turns a kind into a transport status
 * (edge/lambda.ts), so the core knows no HTTP.
 */

/** What went wrong, in the caller's terms. */
export type RefusalKind =
  /** The input is malformed, incomplete or out of bounds. */
  | 'invalid'
  /** The caller could not be identified: a missing, expired or wrong signature. */
  | 'unauthenticated'
  /** Nothing of that name (or id) exists for this caller. */
  | 'not_found'
  /** It exists, but is not yet in a state to answer (a query still running). */
  | 'not_ready'
  /** The input contradicts one the lake accepted before (an Idempotency-Key reused for other data). */
  | 'conflict'
  /** The input is larger than the lake accepts. */
  | 'too_large'
  /** The input's media type or encoding is not one the lake reads. */
  | 'unsupported_format';

/**
 * A refusal the caller may see: its message is written for them and names no
 * internals, its code is stable for programs, and `details` holds caller-safe
 * facts (such as every problem found).
 */
export class RefusalError extends Error {
  override name = 'RefusalError';
  constructor(
    readonly kind: RefusalKind,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
