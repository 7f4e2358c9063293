/**
 * How a connector talks to a third party: authenticated GETs that honour 429
 * Retry-After, back off exponentially (with jitter) on 5xx and network errors,
 * count every request against the run's budget and never outlive the run's
 * deadline. Credentials go only to the connector's own origin (and the token
 * endpoint), and no error says more than the status and which page it was.
 */
import type { SecretStore } from '../ports';
import type { HttpConnectorConfig } from './config';

export interface HttpDeps {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** 0..1, for backoff jitter. */
  random: () => number;
}

export const systemHttp: HttpDeps = {
  fetch: (input, init) => fetch(input, init),
  sleep: (ms) => new Promise((wake) => setTimeout(wake, ms)),
  now: () => Date.now(),
  random: Math.random,
};

/** The run must stop here and checkpoint: it is out of time or out of requests. Not a failure. */
export class RunStopError extends Error {
  override name = 'RunStopError';
  constructor(readonly why: 'timeout' | 'budget') {
    super(
      why === 'timeout'
        ? 'the run timeout was reached; the next run continues from the checkpoint'
        : 'the request budget of the run is spent; the next run continues from the checkpoint',
    );
  }
}

/** The source refused or kept failing. The message names the status and the page, never a URL query, header or body. */
export class ConnectorHttpError extends Error {
  override name = 'ConnectorHttpError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date
 * (RFC 9110 section 10.2.3); undefined when absent or unreadable.
 */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Full-jitter exponential backoff: a random wait up to base * 2^attempt, capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: number): number {
  return Math.round(Math.min(maxMs, baseMs * 2 ** attempt) * (0.5 + random / 2));
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'the request timed out';
  return typeof cause?.code === 'string' ? `network error ${cause.code}` : 'network error';
}

/** One run's HTTP session: its budget, its deadline, its credentials. */
export class ConnectorSession {
  requests = 0;
  private readonly origin: string;
  private apiKey?: string;
  private token?: { value: string; expiresAt: number };

  constructor(
    private readonly config: HttpConnectorConfig,
    private readonly secrets: SecretStore,
    private readonly http: HttpDeps,
    /** Epoch ms by which the run must have stopped. */
    readonly deadline: number,
  ) {
    this.origin = new URL(config.baseUrl).origin;
  }

  /** GETs `url` (which must be on the connector's origin) as JSON. `what` names the page in errors ("page 3 of Observation"). */
  async getJson(url: URL, what: string): Promise<{ body: unknown; headers: Headers }> {
    if (url.origin !== this.origin)
      throw new ConnectorHttpError(
        `${what}: the source pointed the next page at another origin; it is not followed with this connector's credentials`,
      );
    let refreshed = false;
    for (;;) {
      const response = await this.send(
        url,
        { method: 'GET', headers: { accept: 'application/json', ...(await this.authHeaders()) } },
        what,
      );
      if (response.status === 401 && this.config.auth.type === 'oauth2_client_credentials' && !refreshed) {
        // A token can be revoked or expire early: one fresh token, then the 401 stands.
        refreshed = true;
        this.token = undefined;
        await response.body?.cancel();
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new ConnectorHttpError(`${what}: the source answered ${response.status}`, response.status);
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        throw new ConnectorHttpError(`${what}: the source answered with a body that is not JSON`);
      }
      return { body, headers: response.headers };
    }
  }

  private async authHeaders(): Promise<Record<string, string>> {
    const auth = this.config.auth;
    switch (auth.type) {
      case 'none':
        return {};
      case 'api_key':
        this.apiKey ??= await this.secrets.get(auth.secret);
        return { [auth.header]: this.apiKey };
      case 'oauth2_client_credentials': {
        if (this.token === undefined || this.token.expiresAt <= this.http.now())
          this.token = await this.fetchToken(auth);
        return { authorization: `Bearer ${this.token.value}` };
      }
    }
  }

  private async fetchToken(
    auth: Extract<HttpConnectorConfig['auth'], { type: 'oauth2_client_credentials' }>,
  ): Promise<{ value: string; expiresAt: number }> {
    const secret = await this.secrets.get(auth.clientSecret);
    // RFC 6749 section 2.3.1: the client authenticates with HTTP Basic, id and secret form-encoded.
    const basic = Buffer.from(`${encodeURIComponent(auth.clientId)}:${encodeURIComponent(secret)}`).toString('base64');
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      ...(auth.scope !== undefined ? { scope: auth.scope } : {}),
    });
    const response = await this.send(
      new URL(auth.tokenUrl),
      {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
      },
      'the OAuth2 token request',
    );
    if (!response.ok) {
      await response.body?.cancel();
      throw new ConnectorHttpError(
        `the OAuth2 token request was refused (${response.status}); check the client id and the client secret stored as ${auth.clientSecret}`,
        response.status,
      );
    }
    const body = (await response.json().catch(() => undefined)) as
      | { access_token?: unknown; expires_in?: unknown }
      | undefined;
    if (typeof body?.access_token !== 'string' || body.access_token === '')
      throw new ConnectorHttpError('the OAuth2 token response has no access_token');
    const lifetimeS = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
    // Renew a little early so a token never expires between check and use.
    return { value: body.access_token, expiresAt: this.http.now() + Math.max(1, lifetimeS - 30) * 1000 };
  }

  /** Sends one request with retries; every attempt counts against the budget. */
  private async send(url: URL, init: RequestInit, what: string): Promise<Response> {
    const limits = this.config.limits;
    for (let attempt = 0; ; attempt++) {
      const remaining = this.deadline - this.http.now();
      if (remaining <= 0) throw new RunStopError('timeout');
      if (this.requests >= limits.maxRequestsPerRun) throw new RunStopError('budget');
      this.requests += 1;
      let response: Response | undefined;
      let failure: string;
      try {
        response = await this.http.fetch(url, {
          ...init,
          signal: AbortSignal.timeout(Math.min(limits.requestTimeoutSeconds * 1000, remaining)),
          redirect: 'error',
        });
        if (response.status !== 429 && response.status < 500) return response;
        failure = `the source answered ${response.status}`;
      } catch (error) {
        if (this.deadline - this.http.now() <= 0) throw new RunStopError('timeout');
        failure = networkReason(error);
      }
      await response?.body?.cancel();
      if (attempt >= limits.maxRetries)
        throw new ConnectorHttpError(
          `${what}: ${failure}, ${attempt + 1} times; giving up for this run`,
          response?.status,
        );
      let waitMs = backoffMs(attempt, limits.backoffBaseMs, limits.backoffMaxMs, this.http.random());
      if (response?.status === 429) {
        const asked = retryAfterMs(response.headers.get('retry-after'), this.http.now());
        if (asked !== undefined && asked > limits.maxRetryAfterSeconds * 1000) {
          throw new ConnectorHttpError(
            `${what}: the source asks to wait ${Math.ceil(asked / 1000)} s (Retry-After), more than limits.maxRetryAfterSeconds; the next run tries again`,
            429,
          );
        }
        waitMs = asked ?? waitMs;
      }
      if (this.http.now() + waitMs >= this.deadline) throw new RunStopError('timeout');
      await this.http.sleep(waitMs);
    }
  }
}
