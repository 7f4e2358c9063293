/**
 * Every AWS resource name the lake uses, derived from the stage alone, so that
 * serverless.yml, the handlers and the local runtime agree without a deploy.
 * serverless.yml spells the same pattern: `pulse-lake-${sls:stage}-<zone>`.
 */
import type { LakeNames } from '../ports';

export const LAKE_PREFIX = 'pulse-lake';

/** The region a stage runs in unless told otherwise (Singapore data stays in Singapore). */
export const DEFAULT_REGION = 'ap-southeast-1';

/** Resource names for a stage (`dev`, `prod`, or `local` for the embedded lake). */
export function lakeNames(stage: string): LakeNames {
  const base = `${LAKE_PREFIX}-${stage}`;
  const database = `${LAKE_PREFIX}_${stage}`.replace(/-/g, '_');
  return {
    stage,
    buckets: {
      dropzone: `${base}-dropzone`,
      raw: `${base}-raw`,
      curated: `${base}-curated`,
      rejects: `${base}-rejects`,
      'query-results': `${base}-query-results`,
    },
    queues: {
      normalize: `${base}-normalize`,
      normalizeDlq: `${base}-normalize-dlq`,
      telemetryStreamDlq: `${base}-telemetry-stream-dlq`,
    },
    databases: { curated: `${database}_curated`, staging: `${database}_staging` },
    crawlers: { staging: `${base}-staging-crawler` },
    tables: { telemetry: `${base}-telemetry` },
    eventSource: 'pulse-lake',
  };
}
