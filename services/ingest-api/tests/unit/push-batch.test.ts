import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { buildLocalLake, type LocalLake } from '@pulse-lake/shared/adapters/local/index';
import { createHandler } from '../../src/handlers/push-batch';

const fixture = (name: string): APIGatewayProxyEvent =>
  JSON.parse(readFileSync(new URL(`../events/api-gateway/${name}.json`, import.meta.url), 'utf8')) as APIGatewayProxyEvent;
const context = { functionName: 'push-batch', awsRequestId: 'test', getRemainingTimeInMillis: () => 29_000 } as unknown as Context;

async function rawKeys(lake: LocalLake): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of lake.store.list(lake.names.buckets.raw, '')) keys.push(item.key);
  return keys;
}

describe('push-batch', () => {
  let home: string;
  let lake: LocalLake;
  let invoke: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'push-batch-'));
    lake = buildLocalLake(home, { stage: 'test' });
    const handler = createHandler(lake);
    invoke = (event) => handler(event, context);
  });
  afterEach(async () => {
    await lake.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('lands a JSON array as one raw JSONL object and answers 202 with its batch id', async () => {
    // Act
    const response = await invoke(fixture('post-vitals-json'));
    // Assess
    expect(response.statusCode).toBe(202);
    const body = JSON.parse(response.body) as { batchId: string; dataset: string; records: number };
    expect(body).toMatchObject({ dataset: 'vitals', records: 2 });
    expect(await rawKeys(lake)).toEqual([`vitals/api/${body.batchId}.jsonl`]);
  });

  it('lands the same records sent as NDJSON as the same object', async () => {
    const json = await invoke(fixture('post-vitals-json'));
    const records = JSON.parse(fixture('post-vitals-json').body ?? '[]') as unknown[];
    const ndjson = await invoke({
      ...fixture('post-vitals-json'),
      headers: { 'content-type': 'application/x-ndjson' },
      body: Buffer.from(records.map((r) => JSON.stringify(r)).join('\n')).toString('base64'),
      isBase64Encoded: true,
    });

    expect(ndjson.statusCode).toBe(202);
    expect(JSON.parse(ndjson.body)).toEqual(JSON.parse(json.body));
    expect(await rawKeys(lake)).toHaveLength(1);
  });

  it('answers 404 for a dataset no contract describes', async () => {
    const response = await invoke({ ...fixture('post-vitals-json'), pathParameters: { dataset: 'horoscopes' } });

    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).message).toContain('unknown dataset');
  });

  it('answers 415 for a content type other than JSON or NDJSON', async () => {
    const response = await invoke({ ...fixture('post-vitals-json'), headers: { 'Content-Type': 'text/csv' }, body: 'a,b\n1,2' });

    expect(response.statusCode).toBe(415);
  });

  it('answers 413 for a batch over 10 MB', async () => {
    const response = await invoke({ ...fixture('post-vitals-json'), body: `[${'{"x":1},'.repeat(1_400_000)}{"x":1}]` });

    expect(response.statusCode).toBe(413);
  });

  it('answers 400 listing the first problems without echoing the values', async () => {
    const body = '{"patient_id":"P-000123"}\nnot json P-000999\n[1,2]\n';
    const response = await invoke({ ...fixture('post-vitals-json'), headers: { 'content-type': 'application/x-ndjson' }, body });

    expect(response.statusCode).toBe(400);
    const answer = JSON.parse(response.body) as { message: string; details: { problems: string[] } };
    expect(answer.details.problems).toEqual(['line 2 is not valid JSON', 'line 3 is an array, expected a JSON object']);
    expect(response.body).not.toContain('P-000999');
    expect(await rawKeys(lake)).toEqual([]);
  });

  it('answers a plain 500 when the store fails, without internals', async () => {
    const handler = createHandler({ ...lake, store: { ...lake.store, put: async () => Promise.reject(new Error('disk full at /var/lake')) } });

    const response = await handler(fixture('post-vitals-json'), context);

    expect(response.statusCode).toBe(500);
    expect(response.body).toBe('{"code":"internal_error","message":"internal error"}');
  });
});
