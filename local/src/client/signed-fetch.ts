/**
 * A partner's HTTP client for the local APIs: every request signed with SigV4
 * (service execute-api) by the AWS SDK's own signer, as a partner's code would
 * sign it. Used by the bench and the tests; handy for scripting the local API.
 */
import { NodeSha256 } from '@pulse-lake/shared/auth/node-sha256';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SignedResponse {
  status: number;
  headers: Headers;
  raw: Buffer;
  /** The body parsed, when it is JSON; else an empty object. */
  body: Record<string, unknown>;
}

export type SignedFetch = (
  method: string,
  pathAndQuery: string,
  body?: unknown,
  signingDate?: Date,
) => Promise<SignedResponse>;

export function signedFetch(
  baseUrl: string,
  key: { accessKeyId: string; secretAccessKey: string },
  region: string,
): SignedFetch {
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    region,
    service: 'execute-api',
    sha256: NodeSha256,
  });
  return async (method, pathAndQuery, body, signingDate) => {
    const url = new URL(pathAndQuery, baseUrl);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const signed = await signer.sign(
      {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { host: url.host, ...(text !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(text !== undefined ? { body: text } : {}),
      },
      signingDate !== undefined ? { signingDate } : {},
    );
    const response = await fetch(url, {
      method,
      headers: signed.headers,
      ...(text !== undefined ? { body: text } : {}),
    });
    const raw = Buffer.from(await response.arrayBuffer());
    const isJson = response.headers.get('content-type')?.includes('json') === true;
    return {
      status: response.status,
      headers: response.headers,
      raw,
      body: isJson ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {},
    };
  };
}
