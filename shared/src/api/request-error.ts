/**
 * A request the caller can fix: a 4xx status, a stable code for programs, a
 * message for people, and optional details (such as every problem found).
 * httpErrorResponses sends these as they are; anything else becomes a bare 500.
 */
export class RequestError extends Error {
  override name = 'RequestError';
  readonly expose = true as const;
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
