/**
 * EventBridge `Partitions Written`: register the announced partitions in the
 * catalog and, for a staging dataset, kick the staging crawler (debounced).
 * A failure throws, so EventBridge's asynchronous invoke retries it; registration is idempotent.
 */
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import type { CatalogedPartitions } from '@pulse-lake/shared/catalog/partitions-written';
import { catalogPartitionsWritten } from '@pulse-lake/shared/catalog/partitions-written';
import type { DatasetContract } from '@pulse-lake/shared/datasets/contract';
import { getContract } from '@pulse-lake/shared/datasets/registry';
import { issuesOf } from '@pulse-lake/shared/edge/schemas';
import type { PartitionsWrittenDetail } from '@pulse-lake/shared/lake/messages';
import { PARTITIONS_WRITTEN, PartitionsWrittenDetailSchema } from '@pulse-lake/shared/lake/messages';
import { functionLogger, type Logger, logsWithLambdaContext } from '@pulse-lake/shared/edge/logger';
import type { LakeDeps } from '@pulse-lake/shared/ports';
import { z } from 'zod';

/** The event is not a Partitions Written event with partitions; the rule should never route one here. */
export class UnexpectedEventError extends Error {
  override name = 'UnexpectedEventError';
}

const PartitionsWrittenEventSchema = EventBridgeSchema.extend({
  'detail-type': z.literal(PARTITIONS_WRITTEN),
  detail: PartitionsWrittenDetailSchema,
});

export interface HandlerOptions {
  /** Contract lookup (default: the registry). */
  contractOf?: (dataset: string) => DatasetContract;
  /** Gets one line per crawler kick decision (dataset names and counts only); default: the function's logger. */
  logger?: Logger;
}

/** Builds the handler over `deps`. */
export function createHandler(deps: LakeDeps, options: HandlerOptions = {}) {
  const contractOf = options.contractOf ?? getContract;
  const logger = options.logger ?? functionLogger();
  return middy<EventBridgeEvent<string, PartitionsWrittenDetail>, CatalogedPartitions>()
    .use(logsWithLambdaContext(logger))
    .handler(async (event) => {
      const parsed = PartitionsWrittenEventSchema.safeParse(event);
      if (!parsed.success) {
        throw new UnexpectedEventError(
          `expected a ${PARTITIONS_WRITTEN} event with dataset and partitions, got detail-type ${event['detail-type']} (${issuesOf(parsed.error)})`,
        );
      }
      const detail = parsed.data.detail;
      const cataloged = await catalogPartitionsWritten(deps, detail, contractOf);
      if (cataloged.crawler !== 'none') {
        logger.info('staging crawler', {
          dataset: detail.dataset,
          created: cataloged.created,
          crawler: deps.names.crawlers.staging,
          outcome: cataloged.crawler,
        });
      }
      return cataloged;
    });
}
