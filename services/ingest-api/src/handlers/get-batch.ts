/** GET /v1/ingest/batches/{id}: what became of the caller's pushed batch: rows written, rows rejected and why, or why it was refused. */
import { jsonResponse } from '@pulse-lake/shared/edge/lambda';
import { noteAudit } from '@pulse-lake/shared/edge/audit';
import { signedApi } from '@pulse-lake/shared/edge/signed-api';
import { partnerOf } from '@pulse-lake/shared/edge/signed-requests';
import { batchOutcome } from '@pulse-lake/shared/ingest/api-batches';
import type { LakeDeps } from '@pulse-lake/shared/ports';

export function createHandler(deps: LakeDeps) {
  return signedApi(deps).handler(async (event, context) => {
    const outcome = await batchOutcome(deps, partnerOf(context).partnerId, event.pathParameters?.['id'] ?? '');
    noteAudit(context, { subjectId: outcome.batchId, dataset: outcome.dataset });
    return jsonResponse(200, outcome);
  });
}
