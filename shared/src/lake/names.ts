/**
 * Every AWS resource name the lake uses, derived from the stage alone, so that
 * serverless.yml, the handlers and the local runtime agree without a deploy.
 * serverless.yml spells the same pattern: `pulse-lake-${sls:stage}-<zone>`.
 */
export const LAKE_PREFIX = 'pulse-lake';

/** The region a stage runs in unless told otherwise (Singapore data stays in Singapore). */
export const DEFAULT_REGION = 'ap-southeast-1';

export type Zone = 'dropzone' | 'raw' | 'curated' | 'rejects' | 'query-results';

export interface LakeNames {
  stage: string;
  buckets: Record<Zone, string>;
  /** telemetryStreamDlq: the telemetry stream's on-failure destination (stream batches given up on). */
  queues: { normalize: string; normalizeDlq: string; telemetryStreamDlq: string };
  databases: { curated: string; staging: string };
  /** Glue crawlers: `staging` discovers sources without a contract under the curated bucket's `staging/` prefix. */
  crawlers: { staging: string };
  /** DynamoDB tables: devices write their readings to `telemetry`, whose stream feeds the lake. */
  tables: { telemetry: string };
  /** EventBridge `source` of the lake's own events. */
  eventSource: string;
}

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
