/**
 * GET /v1/queries: the basket of named queries a partner may run, with the
 * problem each answers and the parameters it takes. IAM-authorized at the gateway.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { httpErrorResponses, jsonResponse } from '@pulse-lake/shared/adapters/aws/lambda';
import type { LakeDeps } from '@pulse-lake/shared/ports';
import { NAMED_QUERIES } from '@pulse-lake/shared/query/named-queries';

/** Builds the handler; the basket is static, so `deps` is taken only to keep one shape for every handler. */
export function createHandler(_deps: LakeDeps) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrorResponses())
    .handler(async () =>
      jsonResponse(200, {
        queries: NAMED_QUERIES.map((query) => ({
          name: query.name,
          version: query.version,
          problem: query.problem,
          parameters: query.parameters,
        })),
      }),
    );
}
