import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, SQSEvent } from 'aws-lambda';
import { buildLocalLake, type LocalLake } from '@pulse-lake/shared/adapters/local/index';
import { linesLogger } from '@pulse-lake/shared/edge/logger';
import { createHandler } from '../../src/handlers/normalize-chunk';

const fixture = (name: string): SQSEvent =>
  JSON.parse(readFileSync(new URL(`../events/sqs/${name}.json`, import.meta.url), 'utf8')) as SQSEvent;
const context = {
  functionName: 'normalize-chunk',
  awsRequestId: 'test',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

describe('normalize-chunk', () => {
  let home: string;
  let lake: LocalLake;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'normalize-handler-'));
    lake = buildLocalLake(home, { stage: 'test' });
  });
  afterEach(async () => {
    await lake.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('reports each message that is not a normalize-chunk message, and logs why without its body', async () => {
    // Prepare
    const lines: string[] = [];
    const handler = createHandler(
      lake,
      linesLogger((line) => lines.push(line)),
    );

    // Act
    const response = await handler(fixture('malformed-messages'), context);

    // Assess
    expect(response).toEqual({
      batchItemFailures: [
        { itemIdentifier: '11111111-1111-4111-8111-111111111111' },
        { itemIdentifier: '22222222-2222-4222-8222-222222222222' },
      ],
    });
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      {
        level: 'ERROR',
        message: 'message is not a normalize-chunk message: body: is not JSON',
        messageId: '11111111-1111-4111-8111-111111111111',
        error: 'MalformedChunkMessageError',
      },
      {
        level: 'ERROR',
        message:
          'message is not a normalize-chunk message: body.chunk.index: Invalid input: expected number, received string',
        messageId: '22222222-2222-4222-8222-222222222222',
        error: 'MalformedChunkMessageError',
      },
    ]);
    expect(lines.join('\n')).not.toContain('P-000999');
  });
});
