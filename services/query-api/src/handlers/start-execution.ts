/**
 * POST /v1/queries/{name}/executions {"parameters": {...}}: starts the named
 * query for the calling partner and answers 202 with the execution id to poll.
 */
import { jsonResponse } from '@pulse-lake/shared/edge/lambda';
import { partnerOf } from '@pulse-lake/shared/edge/signed-requests';
import type { LakeDeps } from '@pulse-lake/shared/ports';
import { noteAudit } from '@pulse-lake/shared/edge/audit';
import type { ExecutionOptions } from '@pulse-lake/shared/query/executions';
import { executionOptionsFromEnv, parseExecutionRequest, startExecution } from '@pulse-lake/shared/query/executions';
import { signedApi } from '@pulse-lake/shared/edge/signed-api';

export function createHandler(deps: LakeDeps, options: ExecutionOptions = executionOptionsFromEnv(process.env)) {
  return signedApi(deps).handler(async (event, context) => {
    const { partnerId } = partnerOf(context);
    const body =
      event.body !== null && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const request = parseExecutionRequest(body);
    const record = await startExecution(
      deps,
      partnerId,
      { query: event.pathParameters?.['name'] ?? '', ...request },
      options,
    );
    noteAudit(context, {
      query: record.query,
      version: record.version,
      subjectId: record.executionId,
      parameters: record.parameters,
    });
    return jsonResponse(202, {
      executionId: record.executionId,
      query: record.query,
      version: record.version,
      status: 'QUEUED',
      reused: record.reusedFrom !== undefined,
      links: {
        status: `/v1/executions/${record.executionId}`,
        results: `/v1/executions/${record.executionId}/results`,
      },
    });
  });
}
