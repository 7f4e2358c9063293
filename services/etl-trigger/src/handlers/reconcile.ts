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
import type { LakeDeps } from '@pulse-lake/shared/ports';

/** Builds the handler over `deps`; `log` gets one JSON line per sweep (keys are content hashes, no identifiers). */
export function createHandler(deps: LakeDeps, log: (line: string) => void = (line) => console.log(line)) {
  return middy<ScheduledEvent, ReconcileOutcome>().handler(async () => {
    const outcome = await reconcileRawObjects(deps, planOptionsFromEnv(process.env));
    log(
      JSON.stringify({
        level: outcome.stuck.length > 0 ? 'WARN' : 'INFO',
        message: 'raw zone reconciled',
        scanned: outcome.scanned,
        planned: outcome.planned,
        stuck: outcome.stuck,
        reannounced: outcome.reannounced,
      }),
    );
    return outcome;
  });
}
