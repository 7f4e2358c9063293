/**
 * The middy middleware that admits only requests signed with a registered
 * partner key (auth/signed-requests.ts), the same in Lambda and in the local
 * gateway. The verified partner rides on the Lambda context; handlers read it
 * with `partnerOf`. A refused request answers 403 with the check that failed,
 * and the handler never runs.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { type Partner, verifySignedRequest } from '../auth/signed-requests';
import type { SignedRequest } from '../auth/sigv4';
import type { LakeDeps } from '../ports';

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
      request.context.partner = await verifySignedRequest(deps, signedRequestOf(request.event));
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
