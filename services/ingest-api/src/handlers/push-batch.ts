/**
 * POST /v1/ingest/{dataset}: land a pushed batch (JSON array or NDJSON) as one
 * raw object and answer 202; the raw zone's event plans it asynchronously.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { HttpError, httpErrorResponses, jsonResponse } from '@pulse-lake/shared/adapters/aws/lambda';
import { landApiBatch } from '@pulse-lake/shared/lake/land-api-batch';
import type { LakeDeps } from '@pulse-lake/shared/ports';

function header(headers: APIGatewayProxyEvent['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === wanted && value !== undefined) return value;
  return undefined;
}

/** Builds the handler over `deps`. */
export function createHandler(deps: LakeDeps) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrorResponses())
    .handler(async (event) => {
      const dataset = event.pathParameters?.['dataset'];
      if (dataset === undefined || dataset === '') throw new HttpError(400, 'missing_dataset', 'the path must name a dataset: POST /v1/ingest/{dataset}');
      const body = event.body ?? '';
      const landed = await landApiBatch(deps, {
        dataset,
        contentType: header(event.headers, 'content-type'),
        body: event.isBase64Encoded ? Buffer.from(body, 'base64') : body,
      });
      return jsonResponse(202, { batchId: landed.batchId, dataset: landed.dataset, records: landed.records });
    });
}
