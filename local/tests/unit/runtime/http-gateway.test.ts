import type { APIGatewayProxyEvent } from 'aws-lambda';
import { startHttpGateway } from '../../../src/runtime/http-gateway';

describe('the local API Gateway', () => {
  it('turns a request into a REST proxy event with path parameters and body, and the result into a response', async () => {
    // Prepare
    const seen: APIGatewayProxyEvent[] = [];
    const gateway = await startHttpGateway(
      [
        {
          functionName: 'push-batch',
          source: { kind: 'http', api: 'rest', method: 'POST', path: '/v1/ingest/{dataset}' },
          invoke: async (event) => {
            seen.push(event as APIGatewayProxyEvent);
            return {
              statusCode: 202,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ accepted: true }),
            };
          },
        },
      ],
      { port: 0, stage: 'local', accountId: '000000000000', onError: () => undefined },
    );
    try {
      // Act
      const response = await fetch(`${gateway.url}/v1/ingest/vitals?dry=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: '{"a":1}\n',
      });
      const notFound = await fetch(`${gateway.url}/v1/nowhere`);
      const wrongMethod = await fetch(`${gateway.url}/v1/ingest/vitals`);
      // Assess
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ accepted: true });
      expect(notFound.status).toBe(404);
      expect(wrongMethod.status).toBe(405);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toEqual(
        expect.objectContaining({
          httpMethod: 'POST',
          resource: '/v1/ingest/{dataset}',
          path: '/v1/ingest/vitals',
          pathParameters: { dataset: 'vitals' },
          queryStringParameters: { dry: '1' },
          body: '{"a":1}\n',
          isBase64Encoded: false,
        }),
      );
      expect(seen[0]?.requestContext.stage).toBe('local');
    } finally {
      await gateway.close();
    }
  });

  it('answers a failing handler with a bare 502, never its internals', async () => {
    // Prepare
    const errors: unknown[] = [];
    const gateway = await startHttpGateway(
      [
        {
          functionName: 'boom',
          source: { kind: 'http', api: 'http', method: 'GET', path: '/v1/queries' },
          invoke: () => Promise.reject(new Error('secret detail SG-MRN-1')),
        },
      ],
      { port: 0, stage: 'local', accountId: '000000000000', onError: (e) => errors.push(e) },
    );
    try {
      // Act
      const response = await fetch(`${gateway.url}/v1/queries`);
      // Assess
      expect(response.status).toBe(502);
      expect(await response.text()).not.toContain('secret');
      expect(errors).toHaveLength(1);
    } finally {
      await gateway.close();
    }
  });
});
