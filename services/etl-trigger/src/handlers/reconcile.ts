/**
 * Scheduled: the reconciliation sweep over the raw zone (shared/src/operations/reconcile.ts).
 * Logs what it planned, what looks stuck and which complete files it announced again
 * (their partitions were missing from the catalog); a failure throws, and the next run sweeps again.
 */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { planOptionsFromEnv } from '@pulse-lake/shared/ingest/plan-raw-object';
import type { ReconcileOutcome } from '@pulse-lake/shared/operations/reconcile';
import { reconcileRawObjects } from '@pulse-lake/shared/operations/reconcile';
import { functionLogger, type Logger, logsWithLambdaContext } from '@pulse-lake/shared/edge/logger';
import type { LakeDeps } from '@pulse-lake/shared/ports';

/** Builds the handler over `deps`; `logger` gets one line per sweep (keys are content hashes, no identifiers). */
export function createHandler(deps: LakeDeps, logger: Logger = functionLogger()) {
  return middy<ScheduledEvent, ReconcileOutcome>()
    .use(logsWithLambdaContext(logger))
    .handler(async () => {
      const outcome = await reconcileRawObjects(deps, planOptionsFromEnv(process.env));
      const fields = {
        scanned: outcome.scanned,
        planned: outcome.planned,
        stuck: outcome.stuck,
        reannounced: outcome.reannounced,
      };
      if (outcome.stuck.length > 0) logger.warn('raw zone reconciled', fields);
      else logger.info('raw zone reconciled', fields);
      return outcome;
    });
}
