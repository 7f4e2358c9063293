/**
 * The Lambda edge: turning AWS event shapes into port arguments, and errors
 * into responses that show what the caller may see and nothing else.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResult, S3Event } from 'aws-lambda';
import { RefusalError, type RefusalKind } from '../refusal';
import { functionLogger, type Logger } from './logger';

/**
 * The objects an S3 notification names. S3 URL-encodes keys in events, with
 * `+` for spaces, so they are decoded before use.
 */
export function s3ObjectsFromEvent(event: S3Event): { bucket: string; key: string }[] {
  return (event.Records ?? []).map((record) => ({
    bucket: record.s3.bucket.name,
    key: decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')),
  }));
}

/** An error meant to reach the API caller: a 4xx status and a message written for them. */
export interface ExposedError {
  statusCode: number;
  expose: true;
  message: string;
  /** A stable, machine-readable name of what went wrong (`signature_mismatch`, `invalid_parameters`). */
  code?: string;
  /** Extra, caller-safe facts (e.g. the first problems found in a body). */
  details?: unknown;
}

/** An error of the edge itself (a path or query string it cannot use), meant to reach the caller with `statusCode` (4xx). */
export class HttpError extends Error implements ExposedError {
  override name = 'HttpError';
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

/**
 * The status each kind of refusal answers with. 403, not 401, for a signature:
 * API Gateway's IAM authorizer answers so, and clients expect it. 422 for a
 * conflicting retry, as the IETF Idempotency-Key draft answers.
 */
const STATUS_OF_REFUSAL: Record<RefusalKind, number> = {
  invalid: 400,
  unauthenticated: 403,
  not_found: 404,
  not_ready: 409,
  too_large: 413,
  unsupported_format: 415,
  conflict: 422,
};

/** A refusal of the core as the edge exposes it. */
function exposedRefusal(refusal: RefusalError): ExposedError {
  return {
    statusCode: STATUS_OF_REFUSAL[refusal.kind],
    expose: true,
    message: refusal.message,
    code: refusal.code,
    ...(refusal.details !== undefined ? { details: refusal.details } : {}),
  };
}

function isExposed(error: unknown): error is Error & ExposedError {
  if (!(error instanceof Error)) return false;
  const candidate = error as Error & Partial<ExposedError>;
  return (
    candidate.expose === true &&
    typeof candidate.statusCode === 'number' &&
    candidate.statusCode >= 400 &&
    candidate.statusCode < 500
  );
}

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * Maps errors to API Gateway responses: the core's refusals with the status of
 * their kind, exposed 4xx errors (HttpError, middy's) with theirs, each with its
 * message (and details); anything else a plain 500 whose body says nothing of the internals.
 * Logs the error's name and message only (domain messages carry no identifiers), never the event.
 */
export function httpErrorResponses(logger: Logger = functionLogger()): MiddlewareObj<unknown, APIGatewayProxyResult> {
  return {
    name: 'httpErrorResponses',
    onError: (request) => {
      const error = request.error;
      const exposed = error instanceof RefusalError ? exposedRefusal(error) : isExposed(error) ? error : undefined;
      if (exposed !== undefined) {
        request.response = json(exposed.statusCode, {
          ...(exposed.code !== undefined ? { code: exposed.code } : {}),
          message: exposed.message,
          ...(exposed.details !== undefined ? { details: exposed.details } : {}),
        });
        return;
      }
      logger.error(error instanceof Error ? error.message : 'non-error thrown', {
        error: error instanceof Error ? error.name : 'non-error thrown',
      });
      request.response = json(500, { code: 'internal_error', message: 'internal error' });
    },
  };
}

/** A JSON API Gateway response. */
export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyResult {
  return json(statusCode, body);
}
