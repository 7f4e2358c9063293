/**
 * Scheduled: the connector dispatcher. Runs every connector whose own schedule
 * is due (shared/src/connectors/run-connector.ts) within this invocation's
 * time, and logs one line per run, a failed run at ERROR: counts, outcome and a reason written
 * without secrets, URLs' queries or record values.
 */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import type { DispatchResult } from '@pulse-lake/shared/connectors/run-connector';
import { runDueConnectors } from '@pulse-lake/shared/connectors/run-connector';
import type { ConnectorSource } from '@pulse-lake/shared/connectors/connector-files';
import { functionLogger, type Logger, logsWithLambdaContext } from '@pulse-lake/shared/edge/logger';
import type { LakeDeps } from '@pulse-lake/shared/ports';

/** Left of the invocation for the runs' last checkpoints after their deadline. */
const CHECKPOINT_MARGIN_MS = 20_000;

/** Builds the handler over `deps`; `logger` gets one line per connector run and per unusable connector file. */
export function createHandler(deps: LakeDeps & { connectors: ConnectorSource }, logger: Logger = functionLogger()) {
  return middy<ScheduledEvent, DispatchResult>()
    .use(logsWithLambdaContext(logger))
    .handler(async (_event, context) => {
      const result = await runDueConnectors(deps, {
        deadline: Date.now() + Math.max(1000, context.getRemainingTimeInMillis() - CHECKPOINT_MARGIN_MS),
      });
      for (const problem of result.problems) logger.error('connector file not usable', { problem });
      for (const run of result.runs) {
        const { connector, runId, outcome, reason, pages, records, requests, landed } = run;
        const fields = { connector, runId, outcome, reason, pages, records, requests, rawObjects: landed.length };
        if (outcome === 'failed') logger.error('connector run', fields);
        else if (outcome === 'complete') logger.info('connector run', fields);
        else logger.warn('connector run', fields);
      }
      return result;
    });
}
