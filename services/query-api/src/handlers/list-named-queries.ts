/**
 * GET /v1/queries: the basket of named queries a partner may run, with the
 * problem each answers, the parameters it takes and the columns it returns.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { httpErrorResponses, jsonResponse } from '@pulse-lake/shared/adapters/aws/lambda';
import { signedRequests, type PartnerContext } from '@pulse-lake/shared/auth/signed-requests';
import type { LakeDeps } from '@pulse-lake/shared/ports';
import { auditRequests } from '@pulse-lake/shared/query/audit';
import { NAMED_QUERIES } from '@pulse-lake/shared/query/named-queries';

export function createHandler(deps: LakeDeps) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, PartnerContext>()
    .use(auditRequests(deps))
    .use(httpErrorResponses())
    .use(signedRequests(deps))
    .handler(async () =>
      jsonResponse(200, {
        queries: NAMED_QUERIES.map((query) => ({
          name: query.name,
          version: query.version,
          title: query.title,
          problem: query.problem,
          parameters: query.parameters,
          columns: query.columns,
          ...(query.suppress !== undefined ? { suppressedBelowThreshold: query.suppress.columns } : {}),
        })),
      }),
    );
}
