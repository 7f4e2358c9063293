import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { buildLocalLake, type LocalLake } from '@pulse-lake/shared/adapters/local/index';
import { newPartnerKey } from '@pulse-lake/shared/auth/partners';
import type { PartnerKey } from '@pulse-lake/shared/ports';
import { createHandler } from '../../src/handlers/push-batch';

const fixture = (name: string): APIGatewayProxyEvent =>
  JSON.parse(
    readFileSync(new URL(`../events/api-gateway/${name}.json`, import.meta.url), 'utf8'),
  ) as APIGatewayProxyEvent;
const context = {
  functionName: 'push-batch',
  awsRequestId: 'test',
  getRemainingTimeInMillis: () => 29_000,
} as unknown as Context;

async function rawKeys(lake: LocalLake): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of lake.store.list(lake.names.buckets.raw, ''))
    if (!item.key.startsWith('_state/')) keys.push(item.key);
  return keys;
}

/** The event as API Gateway passes it on once a gateway has signed the request with `key` (SigV4, execute-api). */
async function signed(event: APIGatewayProxyEvent, key: PartnerKey): Promise<APIGatewayProxyEvent> {
  const headers: Record<string, string> = {
    host: 'abc123.execute-api.ap-southeast-1.amazonaws.com',
    ...Object.fromEntries(
      Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
    ),
  };
  const body = event.body === null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body;
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    region: 'ap-southeast-1',
    service: 'execute-api',
    sha256: Sha256,
  });
  const request = await signer.sign({
    method: event.httpMethod,
    protocol: 'https:',
    hostname: headers.host ?? '',
    path: event.requestContext.path,
    query: {},
    headers,
    body,
  });
  return {
    ...event,
    headers: request.headers,
    multiValueHeaders: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, [value]])),
  };
}

describe('push-batch', () => {
  let home: string;
  let lake: LocalLake;
  let gateway: PartnerKey;
  let invoke: (event: APIGatewayProxyEvent, key?: PartnerKey) => Promise<APIGatewayProxyResult>;
  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'push-batch-'));
    lake = buildLocalLake(home, { stage: 'test' });
    gateway = newPartnerKey('gateway-sg', new Date(), ['vitals', 'dosage']);
    await lake.partners.add(gateway);
    const handler = createHandler(lake);
    invoke = async (event, key = gateway) => handler(await signed(event, key), context);
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
    expect(JSON.parse(ndjson.body)).toEqual({ ...JSON.parse(json.body), duplicate: true });
    expect(await rawKeys(lake)).toHaveLength(1);
  });

  it('answers 404 for a dataset no contract describes', async () => {
    const response = await invoke({ ...fixture('post-vitals-json'), pathParameters: { dataset: 'horoscopes' } });

    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).message).toContain('unknown dataset');
  });

  it('answers 415 for a content type other than JSON or NDJSON', async () => {
    const response = await invoke({
      ...fixture('post-vitals-json'),
      headers: { 'Content-Type': 'text/csv' },
      body: 'a,b\n1,2',
    });

    expect(response.statusCode).toBe(415);
  });

  it('answers 413 for a batch over 10 MB', async () => {
    const response = await invoke({ ...fixture('post-vitals-json'), body: `[${'{"x":1},'.repeat(1_400_000)}{"x":1}]` });

    expect(response.statusCode).toBe(413);
  });

  it('answers 400 listing the first problems without echoing the values', async () => {
    const body = '{"patient_id":"P-000123"}\nnot json P-000999\n[1,2]\n';
    const response = await invoke({
      ...fixture('post-vitals-json'),
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });

    expect(response.statusCode).toBe(400);
    const answer = JSON.parse(response.body) as { message: string; details: { problems: string[] } };
    expect(answer.details.problems).toEqual(['line 2 is not valid JSON', 'line 3 is an array, expected a JSON object']);
    expect(response.body).not.toContain('P-000999');
    expect(await rawKeys(lake)).toEqual([]);
  });

  it('refuses an unsigned push, and a push to a dataset the key may not push to', async () => {
    const handler = createHandler(lake);
    const unsigned = await handler(fixture('post-vitals-json'), context);
    const vitalsOnly = newPartnerKey('clinic-sg', new Date(), ['dosage']);
    await lake.partners.add(vitalsOnly);
    const notAllowed = await invoke(fixture('post-vitals-json'), vitalsOnly);

    expect([unsigned.statusCode, JSON.parse(unsigned.body).code]).toEqual([403, 'missing_authorization']);
    expect([notAllowed.statusCode, JSON.parse(notAllowed.body).code]).toEqual([403, 'dataset_not_allowed']);
    expect(JSON.parse(notAllowed.body).message).toBe('this key may not push to vitals; it may push to: dosage');
    expect(await rawKeys(lake)).toEqual([]);
  });

  it('accepts a gzip body, and refuses one that is not gzip or unpacks past the bound', async () => {
    const plain = fixture('post-vitals-json');
    const zipped = await invoke({
      ...plain,
      headers: { ...plain.headers, 'Content-Encoding': 'gzip' },
      body: gzipSync(plain.body ?? '').toString('base64'),
      isBase64Encoded: true,
    });
    const notGzip = await invoke({ ...plain, headers: { ...plain.headers, 'Content-Encoding': 'gzip' } });
    const bomb = await invoke({
      ...plain,
      headers: { ...plain.headers, 'Content-Encoding': 'gzip' },
      body: gzipSync(`[${'{"x":1},'.repeat(9_000_000)}{"x":1}]`).toString('base64'),
      isBase64Encoded: true,
    });
    const brotli = await invoke({ ...plain, headers: { ...plain.headers, 'Content-Encoding': 'br' } });

    expect(zipped.statusCode).toBe(202);
    expect(JSON.parse(zipped.body)).toMatchObject({ dataset: 'vitals', records: 2 });
    expect([notGzip.statusCode, JSON.parse(notGzip.body).code]).toEqual([400, 'malformed_batch']);
    expect([bomb.statusCode, JSON.parse(bomb.body).code]).toEqual([413, 'batch_too_large']);
    expect([brotli.statusCode, JSON.parse(brotli.body).code]).toEqual([415, 'unsupported_media_type']);
  });

  it('lands a push retried with the same Idempotency-Key once, and refuses the key for a different batch', async () => {
    const plain = fixture('post-vitals-json');
    const withKey = {
      ...plain,
      headers: { ...plain.headers, 'Idempotency-Key': 'b3c1f6f0-0d4e-4f7a-9d1e-2b8c1a7e5f10' },
    };
    const first = await invoke(withKey);
    const retry = await invoke(withKey);
    const other = await invoke({
      ...withKey,
      body: JSON.stringify([
        { patient_id: 'SG-MRN-1', recorded_at: '2024-03-01T08:00:00Z', site: 'SG', heart_rate_bpm: 70 },
      ]),
    });

    expect(first.statusCode).toBe(202);
    expect(JSON.parse(first.body)).toMatchObject({ replayed: false, duplicate: false });
    expect(retry.statusCode).toBe(202);
    expect(JSON.parse(retry.body)).toMatchObject({ batchId: JSON.parse(first.body).batchId, replayed: true });
    expect([other.statusCode, JSON.parse(other.body).code]).toEqual([422, 'idempotency_key_reused']);
    expect(await rawKeys(lake)).toHaveLength(1);
  });

  it('answers a plain 500 when the store fails, without internals', async () => {
    const handler = createHandler({
      ...lake,
      store: { ...lake.store, put: async () => Promise.reject(new Error('disk full at /var/lake')) },
    });

    const response = await handler(await signed(fixture('post-vitals-json'), gateway), context);

    expect(response.statusCode).toBe(500);
    expect(response.body).toBe('{"code":"internal_error","message":"internal error"}');
  });
});
