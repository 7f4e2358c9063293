/**
 * The handler chain of every signed API route (query API, push API), in the
 * order that matters: the audit sees every response (refusals included), errors become
 * JSON with a code, and only verified requests reach the handler.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { httpErrorResponses } from './lambda';
import { signedRequests, type PartnerContext } from './signed-requests';
import type { LakeDeps } from '../ports';
import { auditRequests } from './audit';
import { functionLogger, type Logger, logsWithLambdaContext } from './logger';

/** The chain over `deps`; its lines (a failed audit, an unexpected error) go to `logger` with the Lambda context. */
export function signedApi(deps: LakeDeps, logger: Logger = functionLogger()) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, PartnerContext>()
    .use(logsWithLambdaContext(logger))
    .use(auditRequests(deps, logger))
    .use(httpErrorResponses(logger))
    .use(signedRequests(deps));
}
