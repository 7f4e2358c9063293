/**
 * The middy middleware that admits only requests signed with a registered
 * partner key (SigV4, service `execute-api`), the same in Lambda and in the
 * local gateway. The verified partner rides on the Lambda context; handlers
 * read it with `partnerOf`. A refused request answers 403 with the check that
 * failed, and the handler never runs.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { LakeDeps } from '../ports';
import type { PartnerKey } from './partners';
import { verifySignature, type SignedRequest } from './sigv4';

export const SIGNING_SERVICE = 'execute-api';

/** Who signed the request. */
export interface Partner {
  partnerId: string;
  accessKeyId: string;
  /** Datasets the key may push to. */
  datasets: readonly string[];
}

export type PartnerContext = Context & { partner?: Partner };

/** The request as the client signed it, from an API Gateway REST (payload v1) event. */
export function signedRequestOf(event: APIGatewayProxyEvent): SignedRequest {
  const headers: Record<string, string | readonly string[]> = { ...(event.headers as Record<string, string>) };
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {}))
    if (values !== undefined) headers[name] = values;
  const query: Record<string, readonly string[]> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {}))
    if (value !== undefined) query[name] = [value];
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {}))
    if (values !== undefined) query[name] = values;
  const body =
    event.body === null ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  // requestContext.path is the path the client called, stage included (`/dev/v1/queries`); `path` is the resource's.
  return { method: event.httpMethod, path: event.requestContext.path || event.path, query, headers, body };
}

/** Verifies every request before the handler (see the module comment). */
export function signedRequests(
  deps: Pick<LakeDeps, 'partners' | 'clock' | 'region'>,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, PartnerContext> {
  return {
    name: 'signedRequests',
    before: async (request) => {
      let key: PartnerKey | undefined;
      await verifySignature(signedRequestOf(request.event), {
        region: deps.region,
        service: SIGNING_SERVICE,
        now: deps.clock.now(),
        secretOf: async (accessKeyId) => {
          key = await deps.partners.find(accessKeyId);
          return key?.secretAccessKey;
        },
      });
      if (key === undefined) throw new Error('signature verified without a key');
      request.context.partner = {
        partnerId: key.partnerId,
        accessKeyId: key.accessKeyId,
        datasets: key.datasets ?? [],
      };
    },
  };
}

/** The partner `signedRequests` verified for this invocation. */
export function partnerOf(context: Context): Partner {
  const partner = (context as PartnerContext).partner;
  if (partner === undefined)
    throw new Error('no verified partner on the context: the handler must use the signedRequests middleware');
  return partner;
}
