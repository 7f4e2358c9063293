/**
 * S3 ObjectCreated on the drop zone: land each dropped file in the raw zone.
 * A failure throws, so S3's asynchronous invoke retries it; landing is idempotent.
 */
import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import { s3ObjectsFromEvent } from '@pulse-lake/shared/edge/lambda';
import { landDroppedObject } from '@pulse-lake/shared/ingest/land-dropped-object';
import type { LakeDeps } from '@pulse-lake/shared/ports';

type Landing = Awaited<ReturnType<typeof landDroppedObject>>;

/** Builds the handler over `deps` (AWS clients in Lambda, the stand-ins locally and in tests). */
export function createHandler(deps: LakeDeps) {
  return middy<S3Event, Landing[]>().handler(async (event) => {
    const outcomes: Landing[] = [];
    for (const object of s3ObjectsFromEvent(event)) outcomes.push(await landDroppedObject(deps, object));
    return outcomes;
  });
}
