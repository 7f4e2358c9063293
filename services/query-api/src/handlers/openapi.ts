/** GET /v1/openapi.json: the OpenAPI 3.1 description of this API, built from the named query basket. */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { httpErrorResponses, jsonResponse } from '@pulse-lake/shared/adapters/aws/lambda';
import { signedRequests, type PartnerContext } from '@pulse-lake/shared/auth/signed-requests';
import type { LakeDeps } from '@pulse-lake/shared/ports';
import { auditRequests } from '@pulse-lake/shared/query/audit';
import { queryApiDocument } from '@pulse-lake/shared/query/openapi';

export function createHandler(deps: LakeDeps) {
  const document = queryApiDocument(undefined, deps.region);
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, PartnerContext>()
    .use(auditRequests(deps))
    .use(httpErrorResponses())
    .use(signedRequests(deps))
    .handler(async () => jsonResponse(200, document));
}
