/**
 * Scheduled: compaction of curated partitions (shared/src/operations/compaction.ts).
 * Stops a minute before the Lambda's time runs out; what is left waits for the next run.
 */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import type { LakeCompaction } from '@pulse-lake/shared/operations/compaction';
import { compactLake, compactionOptionsFromEnv } from '@pulse-lake/shared/operations/compaction';
import { functionLogger, type Logger, logsWithLambdaContext } from '@pulse-lake/shared/edge/logger';
import type { LakeDeps } from '@pulse-lake/shared/ports';

/** Time kept back for the merge in progress when the deadline comes. */
const SAFETY_MS = 60_000;

/** Builds the handler over `deps`; `logger` gets one line per run (counts and partition values, no row data). */
export function createHandler(deps: LakeDeps, logger: Logger = functionLogger()) {
  return middy<ScheduledEvent, LakeCompaction>()
    .use(logsWithLambdaContext(logger))
    .handler(async (_event, context) => {
      const outcome = await compactLake(deps, {
        ...compactionOptionsFromEnv(process.env),
        deadline: Date.now() + context.getRemainingTimeInMillis() - SAFETY_MS,
      });
      logger.info('curated partitions compacted', {
        merged: outcome.merged.map((m) => ({
          dataset: m.dataset,
          site: m.site,
          dt: m.dt,
          inputs: m.inputs.length,
          outputs: m.outputs.length,
          rows: m.outputs.reduce((sum, o) => sum + o.rows, 0),
        })),
        retiredFiles: outcome.retired,
        partitionsLeftForNextRun: outcome.skipped,
      });
      return outcome;
    });
}
