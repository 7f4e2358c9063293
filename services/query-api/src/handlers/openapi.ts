/** GET /v1/openapi.json: the OpenAPI 3.1 description of this API, built from the named query basket. */
import { jsonResponse } from '@pulse-lake/shared/edge/lambda';
import type { LakeDeps } from '@pulse-lake/shared/ports';
import { queryApiDocument } from '@pulse-lake/shared/query/openapi';
import { signedApi } from '@pulse-lake/shared/edge/signed-api';

export function createHandler(deps: LakeDeps) {
  const document = queryApiDocument(undefined, deps.region);
  return signedApi(deps).handler(async () => jsonResponse(200, document));
}
