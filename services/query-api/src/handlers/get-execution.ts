/** GET /v1/executions/{id}: where the partner's execution stands, its timings and the bytes scanned. */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { httpErrorResponses, jsonResponse } from '@pulse-lake/shared/adapters/aws/lambda';
import { partnerOf, signedRequests, type PartnerContext } from '@pulse-lake/shared/auth/signed-requests';
import type { LakeDeps } from '@pulse-lake/shared/ports';
import { auditRequests, noteAudit } from '@pulse-lake/shared/query/audit';
import { executionStatus, findExecution } from '@pulse-lake/shared/query/executions';

export function createHandler(deps: LakeDeps) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, PartnerContext>()
    .use(auditRequests(deps))
    .use(httpErrorResponses())
    .use(signedRequests(deps))
    .handler(async (event, context) => {
      const record = await findExecution(deps, partnerOf(context).partnerId, event.pathParameters?.['id'] ?? '');
      noteAudit(context, { query: record.query, version: record.version, executionId: record.executionId });
      return jsonResponse(200, await executionStatus(deps, record));
    });
}
