/**
 * GET /v1/queries: the basket of named queries a partner may run, with the
 * problem each answers, the parameters it takes and the columns it returns.
 */
import { jsonResponse } from '@pulse-lake/shared/edge/lambda';
import type { LakeDeps } from '@pulse-lake/shared/ports';
import { NAMED_QUERIES } from '@pulse-lake/shared/query/named-queries';
import { signedApi } from '@pulse-lake/shared/edge/signed-api';

export function createHandler(deps: LakeDeps) {
  return signedApi(deps).handler(async () =>
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
