/**
 * GET /v1/executions/{id}/results: the result in JSON pages
 * (`?pageSize=&pageToken=`), or the whole of it as a file (`?format=csv|xlsx`):
 * on AWS a presigned URL to it, locally the file itself.
 */
import { HttpError, jsonResponse } from '@pulse-lake/shared/edge/lambda';
import { partnerOf } from '@pulse-lake/shared/edge/signed-requests';
import type { LakeDeps } from '@pulse-lake/shared/ports';
import { noteAudit } from '@pulse-lake/shared/edge/audit';
import { deliverDownload } from '@pulse-lake/shared/query/downloads';
import type { ExecutionOptions } from '@pulse-lake/shared/query/executions';
import { executionOptionsFromEnv, findExecution, resultsPage } from '@pulse-lake/shared/query/executions';
import { signedApi } from '@pulse-lake/shared/edge/signed-api';

export function createHandler(deps: LakeDeps, options: ExecutionOptions = executionOptionsFromEnv(process.env)) {
  return signedApi(deps).handler(async (event, context) => {
    const record = await findExecution(deps, partnerOf(context).partnerId, event.pathParameters?.['id'] ?? '');
    noteAudit(context, {
      query: record.query,
      version: record.version,
      subjectId: record.executionId,
      parameters: record.parameters,
    });
    const query = event.queryStringParameters ?? {};
    const format = query['format'] ?? 'json';
    if (format === 'csv' || format === 'xlsx') {
      const delivered = await deliverDownload(deps, record, format, options);
      if (delivered.kind === 'url') {
        noteAudit(context, { rows: delivered.rows });
        return jsonResponse(200, {
          downloadUrl: delivered.url,
          expiresAt: delivered.expiresAt,
          fileName: delivered.fileName,
          contentType: delivered.contentType,
          rows: delivered.rows,
        });
      }
      const { file } = delivered;
      noteAudit(context, { rows: file.rows });
      return {
        statusCode: 200,
        headers: { 'content-type': file.contentType, 'content-disposition': `attachment; filename="${file.fileName}"` },
        body: file.body.toString('base64'),
        isBase64Encoded: true,
      };
    }
    if (format !== 'json') throw new HttpError(400, 'invalid_format', 'format must be json (pages), csv or xlsx');
    const pageSize = query['pageSize'];
    if (pageSize !== undefined && !/^\d{1,4}$/.test(pageSize))
      throw new HttpError(400, 'invalid_page_size', 'pageSize must be a whole number from 1 to 1000');
    const page = await resultsPage(
      deps,
      record,
      {
        ...(pageSize !== undefined ? { pageSize: Number(pageSize) } : {}),
        ...(query['pageToken'] !== undefined ? { pageToken: query['pageToken'] } : {}),
      },
      options,
    );
    noteAudit(context, { rows: page.rows.length });
    return jsonResponse(200, page);
  });
}
