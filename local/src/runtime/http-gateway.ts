/**
 * API Gateway in process: serves the `http` (REST, payload v1) and `httpApi`
 * (payload v2) routes of every service on one port, turning requests into the
 * proxy events API Gateway sends and the handlers' results into responses.
 * Bound to 127.0.0.1: the `aws_iam` authorizer is not enforced here (routes
 * that verify partner signatures themselves are), so the local API must not
 * be reachable from the network.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpSource } from './service-files';

export interface HttpRoute {
  source: HttpSource;
  functionName: string;
  invoke: (event: APIGatewayProxyEvent | APIGatewayProxyEventV2) => Promise<unknown>;
}

export interface HttpGateway {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024 + 1;

interface CompiledRoute extends HttpRoute {
  regex: RegExp;
  params: string[];
}

function compile(route: HttpRoute): CompiledRoute {
  const params: string[] = [];
  const pattern = route.source.path
    .split('/')
    .map((segment) => {
      const param = /^\{([^}+]+)(\+)?\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      params.push(param[1] ?? '');
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { ...route, regex: new RegExp(`^${pattern}/?$`), params };
}

function isTextual(contentType: string | undefined): boolean {
  return (
    contentType === undefined ||
    /^(text\/|application\/(json|x-ndjson|x-www-form-urlencoded|xml|csv)|.*\+json)/i.test(contentType)
  );
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    // API Gateway's own payload limit; the handler sees a truncated body never.
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

interface ProxyResult {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  multiValueHeaders?: Record<string, (string | number | boolean)[]>;
  body?: string;
  isBase64Encoded?: boolean;
}

function isProxyResult(value: unknown): value is ProxyResult {
  return typeof value === 'object' && value !== null && 'statusCode' in value;
}

/** Starts serving `routes` on 127.0.0.1:`port` (0 picks a free port). */
export async function startHttpGateway(
  routes: HttpRoute[],
  options: { port: number; stage: string; accountId: string; onError: (error: unknown) => void },
): Promise<HttpGateway> {
  const compiled = routes.map(compile);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = (request.method ?? 'GET').toUpperCase();
    const candidates = compiled.filter((r) => r.regex.test(url.pathname));
    const route = candidates.find((r) => r.source.method === method || r.source.method === 'ANY');
    if (route === undefined) {
      const status = candidates.length > 0 ? 405 : 404;
      response
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: status === 405 ? 'Method Not Allowed' : 'Not Found' }));
      return;
    }
    const body = await readBody(request);
    if (body === undefined) {
      response
        .writeHead(413, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: 'Request Too Long' }));
      return;
    }
    const match = route.regex.exec(url.pathname);
    const pathParameters: Record<string, string> = {};
    route.params.forEach((name, i) => {
      pathParameters[name] = decodeURIComponent(match?.[i + 1] ?? '');
    });
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < request.rawHeaders.length; i += 2) {
      const name = request.rawHeaders[i] ?? '';
      const value = request.rawHeaders[i + 1] ?? '';
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
    }
    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) {
      query[k] = v;
      (multiQuery[k] ??= []).push(v);
    }
    const contentType = request.headers['content-type'];
    const textual = isTextual(contentType);
    const bodyText = body.length === 0 ? null : textual ? body.toString('utf8') : body.toString('base64');
    const requestId = randomUUID();
    const sourceIp = request.socket.remoteAddress ?? '127.0.0.1';
    const now = new Date();
    let event: APIGatewayProxyEvent | APIGatewayProxyEventV2;
    if (route.source.api === 'rest') {
      event = {
        resource: route.source.path,
        path: url.pathname,
        httpMethod: method,
        headers,
        multiValueHeaders,
        queryStringParameters: url.searchParams.size > 0 ? query : null,
        multiValueQueryStringParameters: url.searchParams.size > 0 ? multiQuery : null,
        pathParameters: route.params.length > 0 ? pathParameters : null,
        stageVariables: null,
        body: bodyText,
        isBase64Encoded: bodyText !== null && !textual,
        requestContext: {
          accountId: options.accountId,
          apiId: 'local',
          authorizer: undefined,
          protocol: `HTTP/${request.httpVersion}`,
          httpMethod: method,
          identity: {
            accessKey: null,
            accountId: null,
            apiKey: null,
            apiKeyId: null,
            caller: null,
            clientCert: null,
            cognitoAuthenticationProvider: null,
            cognitoAuthenticationType: null,
            cognitoIdentityId: null,
            cognitoIdentityPoolId: null,
            principalOrgId: null,
            sourceIp,
            user: null,
            userAgent: request.headers['user-agent'] ?? null,
            userArn: null,
          },
          // As API Gateway: the path the client called (a stage in the URL is part of it; locally there is none).
          path: url.pathname,
          stage: options.stage,
          requestId,
          requestTimeEpoch: now.getTime(),
          resourceId: 'local',
          resourcePath: route.source.path,
        },
      };
    } else {
      event = {
        version: '2.0',
        routeKey: `${route.source.method} ${route.source.path}`,
        rawPath: url.pathname,
        rawQueryString: url.search.replace(/^\?/, ''),
        headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
        queryStringParameters: url.searchParams.size > 0 ? query : undefined,
        pathParameters: route.params.length > 0 ? pathParameters : undefined,
        body: bodyText ?? undefined,
        isBase64Encoded: bodyText !== null && !textual,
        requestContext: {
          accountId: options.accountId,
          apiId: 'local',
          domainName: request.headers.host ?? 'localhost',
          domainPrefix: 'localhost',
          http: {
            method,
            path: url.pathname,
            protocol: `HTTP/${request.httpVersion}`,
            sourceIp,
            userAgent: request.headers['user-agent'] ?? '',
          },
          requestId,
          routeKey: `${route.source.method} ${route.source.path}`,
          stage: '$default',
          time: now.toISOString(),
          timeEpoch: now.getTime(),
        },
      };
    }
    let result: unknown;
    try {
      result = await route.invoke(event);
    } catch (error) {
      // As API Gateway does for a failed integration: no internals leave.
      options.onError(error);
      response
        .writeHead(502, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: 'Internal server error' }));
      return;
    }
    if (!isProxyResult(result)) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result ?? null));
      return;
    }
    const outHeaders: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(result.headers ?? {})) outHeaders[k] = String(v);
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) outHeaders[k] = v.map(String);
    const payload =
      result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
    response.writeHead(result.statusCode ?? 200, outHeaders).end(payload);
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.onError(error);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: 'Internal server error' }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
