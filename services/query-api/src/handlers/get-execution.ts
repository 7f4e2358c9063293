/** GET /v1/executions/{id}: where the partner's execution stands, its timings and the bytes scanned. */
import { jsonResponse } from '@pulse-lake/shared/edge/lambda';
import { partnerOf } from '@pulse-lake/shared/edge/signed-requests';
import type { LakeDeps } from '@pulse-lake/shared/ports';
import { noteAudit } from '@pulse-lake/shared/edge/audit';
import { executionStatus, findExecution } from '@pulse-lake/shared/query/executions';
import { signedApi } from '@pulse-lake/shared/edge/signed-api';

export function createHandler(deps: LakeDeps) {
  return signedApi(deps).handler(async (event, context) => {
    const record = await findExecution(deps, partnerOf(context).partnerId, event.pathParameters?.['id'] ?? '');
    noteAudit(context, { query: record.query, version: record.version, subjectId: record.executionId });
    return jsonResponse(200, await executionStatus(deps, record));
  });
}
