/**
 * The Crawlers port on AWS Glue: StartCrawler, backing off when Glue throttles.
 */
import { StartCrawlerCommand, type GlueClient } from '@aws-sdk/client-glue';
import type { Crawlers } from '../../ports';
import { DEFAULT_RETRY, errorName, withThrottlingRetry, type RetryOptions } from './retry';

/**
 * Builds the Glue crawlers. A crawler already running answers
 * CrawlerRunningException: that is `already-running`, not a failure (the caller's
 * debounce decides when to ask again). Any other error (EntityNotFoundException
 * for a crawler that was never deployed, OperationTimeoutException) is thrown.
 */
export function buildGlueCrawlers(client: GlueClient, retry: RetryOptions = DEFAULT_RETRY): Crawlers {
  return {
    async start(name: string) {
      try {
        await withThrottlingRetry(() => client.send(new StartCrawlerCommand({ Name: name })), retry);
        return 'started';
      } catch (error) {
        if (errorName(error) === 'CrawlerRunningException') return 'already-running';
        throw error;
      }
    },
  };
}
