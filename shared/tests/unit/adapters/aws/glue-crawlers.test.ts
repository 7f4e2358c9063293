import {
  CrawlerRunningException,
  EntityNotFoundException,
  GlueClient,
  GlueServiceException,
  StartCrawlerCommand,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { buildGlueCrawlers } from '../../../../src/adapters/aws/glue-crawlers';
import type { RetryOptions } from '../../../../src/adapters/aws/retry';

const glue = mockClient(GlueClient);
const retry: RetryOptions = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined };
const crawlers = () => buildGlueCrawlers(new GlueClient({ region: 'ap-southeast-1' }), retry);

const throttled = () =>
  new GlueServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: 'Rate exceeded',
  });

describe('Glue crawlers', () => {
  beforeEach(() => glue.reset());

  it('starts the crawler by name', async () => {
    // Prepare
    glue.on(StartCrawlerCommand).resolves({});

    // Act
    const outcome = await crawlers().start('pulse-lake-dev-staging-crawler');

    // Assess
    expect(outcome).toBe('started');
    expect(glue.commandCalls(StartCrawlerCommand).map((c) => c.args[0].input)).toEqual([
      { Name: 'pulse-lake-dev-staging-crawler' },
    ]);
  });

  it('takes a crawler that is already running as kicked, not as a failure', async () => {
    glue.on(StartCrawlerCommand).rejects(
      new CrawlerRunningException({
        $metadata: { httpStatusCode: 400 },
        message: 'Crawler with name pulse-lake-dev-staging-crawler has already started',
      }),
    );

    await expect(crawlers().start('pulse-lake-dev-staging-crawler')).resolves.toBe('already-running');
    expect(glue.commandCalls(StartCrawlerCommand)).toHaveLength(1);
  });

  it('backs off and asks again when Glue throttles', async () => {
    glue.on(StartCrawlerCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});

    await expect(crawlers().start('pulse-lake-dev-staging-crawler')).resolves.toBe('started');
    expect(glue.commandCalls(StartCrawlerCommand)).toHaveLength(3);
  });

  it('gives up after its attempts when Glue keeps throttling', async () => {
    glue.on(StartCrawlerCommand).rejects(throttled());

    await expect(crawlers().start('pulse-lake-dev-staging-crawler')).rejects.toThrow('Rate exceeded');
    expect(glue.commandCalls(StartCrawlerCommand)).toHaveLength(3);
  });

  it('fails on a crawler that was never deployed', async () => {
    glue.on(StartCrawlerCommand).rejects(
      new EntityNotFoundException({
        $metadata: { httpStatusCode: 400 },
        message: 'Crawler entry with name pulse-lake-dev-staging-crawler does not exist',
      }),
    );

    await expect(crawlers().start('pulse-lake-dev-staging-crawler')).rejects.toThrow(EntityNotFoundException);
    expect(glue.commandCalls(StartCrawlerCommand)).toHaveLength(1);
  });
});
