/** GET /health: the one unsigned route, for load balancers and uptime checks. Says nothing about the lake. */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { httpErrorResponses, jsonResponse } from '@pulse-lake/shared/edge/lambda';
import { functionLogger, logsWithLambdaContext } from '@pulse-lake/shared/edge/logger';
import type { LakeDeps } from '@pulse-lake/shared/ports';

export function createHandler(_deps: LakeDeps) {
  const logger = functionLogger();
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(logsWithLambdaContext(logger))
    .use(httpErrorResponses(logger))
    .handler(async () => jsonResponse(200, { status: 'ok' }));
}
