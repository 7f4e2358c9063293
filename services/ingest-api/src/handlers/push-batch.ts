/**
 * POST /v1/ingest/{dataset}: a partner or gateway pushes a batch (JSON array
 * or NDJSON, gzip accepted), signed with its key; it lands as one raw object
 * and the answer is 202 with the batch id. The raw zone's event plans it; GET
 * /v1/ingest/batches/{id} tells what became of it. An Idempotency-Key makes a
 * retried push land once.
 */
import { HttpError, jsonResponse } from '@pulse-lake/shared/edge/lambda';
import { noteAudit } from '@pulse-lake/shared/edge/audit';
import { signedApi } from '@pulse-lake/shared/edge/signed-api';
import { partnerOf } from '@pulse-lake/shared/edge/signed-requests';
import { checkIdempotencyKey, claimIdempotencyKey, recordPushedBatch } from '@pulse-lake/shared/ingest/api-batches';
import { knownDataset, landPreparedBatch, prepareApiBatch } from '@pulse-lake/shared/ingest/land-api-batch';
import type { LakeDeps } from '@pulse-lake/shared/ports';

function header(headers: Record<string, string | undefined> | null, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {}))
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  return undefined;
}

/** Builds the handler over `deps`. */
export function createHandler(deps: LakeDeps) {
  return signedApi(deps).handler(async (event, context) => {
    const partner = partnerOf(context);
    const dataset = event.pathParameters?.['dataset'] ?? '';
    if (dataset === '')
      throw new HttpError(400, 'missing_dataset', 'the path must name a dataset: POST /v1/ingest/{dataset}');
    knownDataset(dataset);
    if (!partner.datasets.includes(dataset)) {
      throw new HttpError(
        403,
        'dataset_not_allowed',
        `this key may not push to ${/^[a-z_]{1,40}$/.test(dataset) ? dataset : 'that dataset'}; it may push to: ${partner.datasets.join(', ') || 'no dataset'}`,
      );
    }
    const idempotencyKey = header(event.headers, 'idempotency-key');
    checkIdempotencyKey(idempotencyKey);
    const body = event.body ?? '';
    const batch = prepareApiBatch({
      dataset,
      contentType: header(event.headers, 'content-type'),
      contentEncoding: header(event.headers, 'content-encoding'),
      body: event.isBase64Encoded ? Buffer.from(body, 'base64') : body,
    });
    const { replayed } =
      idempotencyKey !== undefined
        ? await claimIdempotencyKey(deps, partner.partnerId, idempotencyKey, batch)
        : { replayed: false };
    const landed = await landPreparedBatch(deps, batch);
    await recordPushedBatch(deps, partner.partnerId, landed);
    noteAudit(context, { subjectId: landed.batchId, dataset: landed.dataset, rows: landed.records });
    return jsonResponse(202, {
      batchId: landed.batchId,
      dataset: landed.dataset,
      records: landed.records,
      duplicate: landed.duplicate,
      replayed,
      links: { status: `/v1/ingest/batches/${landed.batchId}` },
    });
  });
}
