/**
 * Scheduled: the connector dispatcher. Runs every connector whose own schedule
 * is due (shared/src/connectors/run-connector.ts) within this invocation's
 * time, and logs one JSON line per run: counts, outcome and a reason written
 * without secrets, URLs' queries or record values.
 */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import type { DispatchResult } from '@pulse-lake/shared/connectors/run-connector';
import { runDueConnectors } from '@pulse-lake/shared/connectors/run-connector';
import type { ConnectorSource } from '@pulse-lake/shared/connectors/connector-files';
import type { LakeDeps } from '@pulse-lake/shared/ports';

/** Left of the invocation for the runs' last checkpoints after their deadline. */
const CHECKPOINT_MARGIN_MS = 20_000;

/** Builds the handler over `deps`; `log` gets one JSON line per connector run and per unusable connector file. */
export function createHandler(
  deps: LakeDeps & { connectors: ConnectorSource },
  log: (line: string) => void = (line) => console.log(line),
) {
  return middy<ScheduledEvent, DispatchResult>().handler(async (_event, context) => {
    const result = await runDueConnectors(deps, {
      deadline: Date.now() + Math.max(1000, context.getRemainingTimeInMillis() - CHECKPOINT_MARGIN_MS),
    });
    for (const problem of result.problems)
      log(JSON.stringify({ level: 'ERROR', message: 'connector file not usable', problem }));
    for (const run of result.runs) {
      const { connector, runId, outcome, reason, pages, records, requests, landed } = run;
      log(
        JSON.stringify({
          level: outcome === 'failed' ? 'ERROR' : outcome === 'complete' ? 'INFO' : 'WARN',
          message: 'connector run',
          connector,
          runId,
          outcome,
          reason,
          pages,
          records,
          requests,
          rawObjects: landed.length,
        }),
      );
    }
    return result;
  });
}
