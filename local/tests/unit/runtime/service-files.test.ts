import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionWiring } from '../../../src/runtime/service-files';
import { readLakeWiring, readServiceFile } from '../../../src/runtime/service-files';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

function wiring() {
  return readLakeWiring({ root: fixtures, stage: 'local', region: 'eu-west-3', accountId: '111122223333' });
}

function fn(name: string): FunctionWiring {
  const found = wiring().functions.find((f) => f.name === name);
  if (!found) throw new Error(`function ${name} was not wired`);
  return found;
}

describe('reading the service files', () => {
  it('maps src/functions/X.handler to the service handler module src/handlers/X.ts', () => {
    const normalize = fn('normalize-chunk');
    expect(normalize.service).toBe('pulse-lake-ingest-files');
    expect(normalize.handlerFile).toBe(
      join(fixtures, 'services', 'ingest-files', 'src', 'handlers', 'normalize-chunk.ts'),
    );
    expect(normalize.functionName).toBe('pulse-lake-ingest-files-local-normalize-chunk');
  });

  it('resolves nested self references, stage and fallbacks for the local stage', () => {
    const normalize = fn('normalize-chunk');
    expect(normalize.timeoutSeconds).toBe(60);
    expect(normalize.memorySize).toBe(2048);
    expect(fn('on-drop-zone-object').timeoutSeconds).toBe(29);
  });

  it('follows a provider.s3 bucket entry to its real name and keeps the key filters', () => {
    expect(fn('on-drop-zone-object').events).toEqual([
      { kind: 's3', bucket: 'pulse-lake-local-dropzone', event: 's3:ObjectCreated:*' },
    ]);
    expect(fn('on-raw-object').events).toEqual([
      { kind: 's3', bucket: 'pulse-lake-local-raw', event: 's3:ObjectCreated:*', prefix: 'vitals/', suffix: '.csv' },
    ]);
  });

  it('follows !GetAtt of a queue to its QueueName, visibility timeout and redrive policy', () => {
    expect(fn('normalize-chunk').events).toEqual([
      {
        kind: 'sqs',
        queueName: 'pulse-lake-local-normalize',
        batchSize: 5,
        reportBatchItemFailures: true,
        visibilityTimeoutSeconds: 360,
        redrive: { deadLetterQueue: 'pulse-lake-local-normalize-dlq', maxReceiveCount: 5 },
      },
    ]);
  });

  it('reads a literal queue ARN built from aws:region and aws:accountId', () => {
    expect(fn('literal-arn-consumer').events).toEqual([
      { kind: 'sqs', queueName: 'pulse-lake-local-normalize-dlq', batchSize: 10, reportBatchItemFailures: false },
    ]);
  });

  it('wires EventBridge patterns, schedules (enabled or not, with input) and HTTP routes', () => {
    expect(fn('on-partitions-written').events).toEqual([
      {
        kind: 'eventBridge',
        ruleName: 'pulse-lake-etl-trigger-local-on-partitions-written-rule-1',
        pattern: { source: ['pulse-lake'], 'detail-type': ['Partitions Written'] },
      },
    ]);
    expect(fn('reconcile').events).toEqual([
      {
        kind: 'schedule',
        ruleName: 'pulse-lake-etl-trigger-local-reconcile-schedule-1',
        expression: 'rate(1 hour)',
        enabled: true,
      },
      {
        kind: 'schedule',
        ruleName: 'pulse-lake-etl-trigger-local-reconcile-schedule-2',
        expression: 'cron(0 3 * * ? *)',
        enabled: false,
        input: { mode: 'full' },
      },
    ]);
    expect(fn('list-named-queries').events).toEqual([
      { kind: 'http', api: 'rest', method: 'GET', path: '/v1/queries', iamAuthorized: true },
      { kind: 'http', api: 'http', method: 'POST', path: '/v1/ingest/{dataset}' },
    ]);
  });

  it('follows a DynamoDB stream !GetAtt to the table, its key schema and the on-failure queue', () => {
    expect(fn('on-telemetry-record').events).toEqual([
      {
        kind: 'stream',
        table: 'pulse-lake-local-telemetry',
        keySchema: { partitionKey: 'pk', sortKey: 'sk' },
        batchSize: 50,
        batchWindowSeconds: 3,
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 4,
        reportBatchItemFailures: true,
        onFailureQueue: 'pulse-lake-local-telemetry-dlq',
      },
    ]);
  });

  it("resolves ${param:...} from the stage's params, else from params.default", () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'service-file-'));
    const file = join(dir, 'serverless.yml');
    writeFileSync(
      file,
      [
        'service: s',
        'params:',
        '  default: { retention: 30, memory: 512 }',
        '  prod: { retention: 365 }',
        'provider:',
        '  retention: ${param:retention}',
        '  memory: ${param:memory}',
        '',
      ].join('\n'),
    );
    try {
      // Act
      const problems: string[] = [];
      const prod = readServiceFile(file, { stage: 'prod', region: 'ap-southeast-1' }, problems);
      const local = readServiceFile(file, { stage: 'local', region: 'ap-southeast-1' }, problems);
      // Assess
      expect(prod.provider).toEqual({ retention: 365, memory: 512 });
      expect(local.provider).toEqual({ retention: 30, memory: 512 });
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports what it cannot wire instead of dropping it silently', () => {
    const { problems } = wiring();
    expect(problems).toEqual(
      expect.arrayContaining([
        'services/no-file-yet has no serverless.yml yet: its functions are not wired',
        'services/stream/serverless.yml: function on-telemetry-record: event type sns is not known to the local lake',
        expect.stringContaining('uses the cf: source, which the local lake cannot resolve'),
        expect.stringContaining(
          'function on-telemetry-record: sqs event 3 names a queue the local lake cannot resolve',
        ),
        expect.stringMatching(/function normalize-chunk: handler module .*normalize-chunk\.ts does not exist/),
      ]),
    );
  });

  it('leaves CloudFormation ${...} references inside !Sub alone', () => {
    const { problems } = wiring();
    expect(problems.some((p) => p.includes('AWS::'))).toBe(false);
  });
});
