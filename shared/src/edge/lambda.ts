/**
 * The Lambda edge: turning AWS event shapes into port arguments, and errors
 * into responses that show what the caller may see and nothing else.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResult, S3Event } from 'aws-lambda';
import { RequestError } from '../api/request-error';
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

/** An error meant to reach the caller with `statusCode` (4xx), its code and its message. */
export class HttpError extends RequestError implements ExposedError {
  override name = 'HttpError';
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
 * Maps errors to API Gateway responses: exposed 4xx errors with their message
 * (and details), anything else a plain 500 whose body says nothing of the internals.
 * Logs the error's name and message only (domain messages carry no identifiers), never the event.
 */
export function httpErrorResponses(logger: Logger = functionLogger()): MiddlewareObj<unknown, APIGatewayProxyResult> {
  return {
    name: 'httpErrorResponses',
    onError: (request) => {
      const error = request.error;
      if (isExposed(error)) {
        request.response = json(error.statusCode, {
          ...(error.code !== undefined ? { code: error.code } : {}),
          message: error.message,
          ...(error.details !== undefined ? { details: error.details } : {}),
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
