/**
 * The handler chain of every signed query API route, in the order that
 * matters: the audit sees every response (refusals included), errors become
 * JSON with a code, and only verified requests reach the handler.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { httpErrorResponses } from '@pulse-lake/shared/adapters/aws/lambda';
import { signedRequests, type PartnerContext } from '@pulse-lake/shared/auth/signed-requests';
import type { LakeDeps } from '@pulse-lake/shared/ports';
import { auditRequests } from '@pulse-lake/shared/query/audit';

export function signedApi(deps: LakeDeps) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, PartnerContext>().use(auditRequests(deps)).use(httpErrorResponses()).use(signedRequests(deps));
}
