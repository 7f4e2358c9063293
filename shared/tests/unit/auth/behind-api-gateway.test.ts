/**
 * The verifier behind API Gateway's own decoding. A REST API (proxy integration) hands the Lambda the path
 * the client sent, still percent-encoded (`requestContext.path`, stage included), but the query decoded,
 * every value of a repeated name only in `multiValueQueryStringParameters` (`queryStringParameters` keeps
 * the last). The events below are shaped exactly so, from requests signed by the AWS SDK's signer.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { signedRequestOf } from '../../../src/edge/signed-requests';
import { type SignatureCheck, SignatureError, verifySignature } from '../../../src/auth/sigv4';

const KEY = { accessKeyId: 'PLKABCDEFGHIJKLMNOPQ', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const REGION = 'ap-southeast-1';
const HOST = 'abc123.execute-api.ap-southeast-1.amazonaws.com';
const SIGNED_AT = new Date('2026-03-02T10:00:00Z');
const STAGE = 'dev';

interface ClientRequest {
  method: string;
  /** The resource path as the client puts it on the wire (labels percent-encoded), without the stage. */
  wirePath: string;
  /** Decoded query values, repeated names with every value. */
  query?: Record<string, string[]>;
  body?: string;
}

/** Signs as an AWS SDK v3 client does, then delivers the request as API Gateway REST (proxy integration) does. */
async function deliveredByApiGateway(request: ClientRequest): Promise<APIGatewayProxyEvent> {
  const signer = new SignatureV4({ credentials: KEY, region: REGION, service: 'execute-api', sha256: Sha256 });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'https:',
      hostname: HOST,
      path: `/${STAGE}${request.wirePath}`,
      query: request.query ?? {},
      headers: {
        host: HOST,
        ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(request.body !== undefined ? { body: request.body } : {}),
    },
    { signingDate: SIGNED_AT },
  );
  const headers = signed.headers as Record<string, string>;
  const query = request.query ?? {};
  const names = Object.keys(query);
  return {
    resource: '/v1/executions/{id}/results',
    path: request.wirePath,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters:
      names.length === 0 ? null : Object.fromEntries(names.map((name) => [name, query[name]?.at(-1) ?? ''])),
    multiValueQueryStringParameters: names.length === 0 ? null : query,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      path: `/${STAGE}${request.wirePath}`,
      stage: STAGE,
      httpMethod: request.method,
    } as APIGatewayProxyEvent['requestContext'],
    body: request.body ?? null,
    isBase64Encoded: false,
  };
}

const verify = (event: APIGatewayProxyEvent) =>
  verifySignature(signedRequestOf(event), {
    region: REGION,
    service: 'execute-api',
    now: SIGNED_AT,
    secretOf: async (id) => (id === KEY.accessKeyId ? KEY.secretAccessKey : undefined),
  });

async function refusedBy(event: APIGatewayProxyEvent): Promise<SignatureCheck | undefined> {
  try {
    await verify(event);
    return undefined;
  } catch (error) {
    if (error instanceof SignatureError) return error.code;
    throw error;
  }
}

describe('signature verification behind API Gateway (REST, proxy integration)', () => {
  it.each([
    ['an encoded slash', 'a/b'],
    ['spaces', 'a b  c'],
    ['unicode', 'café-東京-😀'],
    ['reserved characters', "x+y=z&w;v,u:t@s!r*q'p(o)"],
  ])('accepts a path whose segment holds %s, as the client encoded it', async (_, id) => {
    const event = await deliveredByApiGateway({
      method: 'GET',
      wirePath: `/v1/executions/${encodeURIComponent(id)}/results`,
    });

    await expect(verify(event)).resolves.toEqual({ accessKeyId: KEY.accessKeyId });
  });

  it('accepts repeated query parameters, which API Gateway decodes and lists only in multiValueQueryStringParameters', async () => {
    const event = await deliveredByApiGateway({
      method: 'GET',
      wirePath: '/v1/executions/e-1/results',
      query: { site: ['SG', 'US'], format: ['json'], note: ['a b/ü&='] },
    });
    expect(event.queryStringParameters?.['site']).toBe('US');

    await expect(verify(event)).resolves.toEqual({ accessKeyId: KEY.accessKeyId });
  });

  it('accepts a signed JSON body on an encoded path', async () => {
    const event = await deliveredByApiGateway({
      method: 'POST',
      wirePath: `/v1/ingest/${encodeURIComponent('vitals ü')}`,
      body: JSON.stringify({ records: [{ heart_rate_bpm: 72 }] }),
    });

    await expect(verify(event)).resolves.toEqual({ accessKeyId: KEY.accessKeyId });
  });

  it('refuses a request whose path was decoded before verification (an encoded slash is not a slash)', async () => {
    const event = await deliveredByApiGateway({
      method: 'GET',
      wirePath: `/v1/executions/${encodeURIComponent('a/b')}`,
    });
    event.requestContext.path = `/${STAGE}/v1/executions/a/b`;

    expect(await refusedBy(event)).toBe('signature_mismatch');
  });

  it('refuses a request that lost one value of a repeated query parameter', async () => {
    const event = await deliveredByApiGateway({
      method: 'GET',
      wirePath: '/v1/executions/e-1/results',
      query: { site: ['SG', 'US'] },
    });
    event.multiValueQueryStringParameters = { site: ['US'] };

    expect(await refusedBy(event)).toBe('signature_mismatch');
  });

  it('refuses a body changed after signing', async () => {
    const event = await deliveredByApiGateway({
      method: 'POST',
      wirePath: '/v1/ingest/vitals',
      body: '{"records":[]}',
    });
    event.body = '{"records":[{}]}';

    // The SDK declares the body's hash (x-amz-content-sha256), so the check that names the body fails first.
    expect(await refusedBy(event)).toBe('payload_hash');
  });
});
