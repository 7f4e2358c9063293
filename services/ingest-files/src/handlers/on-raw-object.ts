/**
 * S3 ObjectCreated on the raw zone: plan each new raw object into normalize chunks.
 * A failure throws, so S3's asynchronous invoke retries it; planning is idempotent.
 */
import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import { s3ObjectsFromEvent } from '@pulse-lake/shared/edge/lambda';
import { isLakeRecordKey } from '@pulse-lake/shared/lake/keys';
import type { PlanOptions } from '@pulse-lake/shared/ingest/plan-raw-object';
import { planOptionsFromEnv, planRawObject } from '@pulse-lake/shared/ingest/plan-raw-object';
import type { LakeDeps } from '@pulse-lake/shared/ports';

type Plan = Awaited<ReturnType<typeof planRawObject>>;

/** Builds the handler over `deps`; by default NORMALIZE_CHUNK_MIB (serverless.yml, or any shell locally) sizes a large CSV's chunks. */
export function createHandler(deps: LakeDeps, options: PlanOptions = planOptionsFromEnv(process.env)) {
  return middy<S3Event, Plan[]>().handler(async (event) => {
    const plans: Plan[] = [];
    for (const object of s3ObjectsFromEvent(event)) {
      // The lake's own records in the raw bucket are not raw objects.
      if (!isLakeRecordKey(object.key)) plans.push(await planRawObject(deps, object, options));
    }
    return plans;
  });
}
