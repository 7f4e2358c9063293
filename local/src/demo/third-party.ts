/**
 * Fake third-party sources on loopback, for the demo and the tests: a
 * pharmacy REST API (API key header; cursor, offset, page-number and Link
 * header paging on `/<kind>/administrations`) and a FHIR R4 endpoint (OAuth2
 * client credentials; Observation and MedicationAdministration searches with
 * `_lastUpdated=gt`, Bundle paging through `link[rel=next]`, MedicationRequests
 * by `_include`). Both answer 429 with Retry-After and 500 now and then, on a
 * fixed beat so runs are repeatable. Data is synthetic.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PharmacyAdministration {
  id: string;
  patient: { mrn: string; site: string };
  drug: { name: string };
  dose: { value: number; unit: string };
  max_dose_mg: number;
  route: string;
  given_at: string;
  updated_at: string;
}

/** How the fake pharmacy's fields map into the dosage contract (a connector file's `mapping`). */
export const PHARMACY_DOSAGE_MAPPING = {
  patient_id: 'patient.mrn',
  site: 'patient.site',
  administered_at: 'given_at',
  medication: 'drug.name',
  dose_mg: 'dose.value',
  dose_unit: 'dose.unit',
  prescribed_max_mg: 'max_dose_mg',
  route: 'route',
} as const;

export interface Faults {
  /** Every n-th request (counted per server) is answered 429 with Retry-After. */
  every429?: number;
  /** Every n-th request is answered 500. */
  every500?: number;
  retryAfterSeconds?: number;
}

export interface FakeSourcesOptions {
  apiKey: string;
  clientId: string;
  clientSecret: string;
  faults?: Faults;
}

export interface FakeSources {
  pharmacyUrl: string;
  fhirUrl: string;
  tokenUrl: string;
  pharmacy: PharmacyAdministration[];
  /** FHIR resources served, newest last; MedicationRequests are only reached by `_include`. */
  fhir: Record<string, unknown>[];
  /** Every request: method, path without query, status; for tests to assert what was asked. */
  log: { method: string; path: string; query: URLSearchParams; status: number; authorization?: string }[];
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>,
  faults: Faults | undefined,
  log: FakeSources['log'],
) {
  let count = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    count += 1;
    res.on('finish', () =>
      log.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        status: res.statusCode,
        ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {}),
      }),
    );
    if (faults?.every429 !== undefined && count % faults.every429 === 0)
      return send(res, 429, { error: 'slow down' }, { 'retry-after': String(faults.retryAfterSeconds ?? 1) });
    if (faults?.every500 !== undefined && count % faults.every500 === 0)
      return send(res, 500, { error: 'upstream hiccup' });
    Promise.resolve(handler(req, res, url)).catch(() => send(res, 500, { error: 'fake source failed' }));
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const PAGE_KINDS = new Set(['cursor', 'offset', 'page', 'link']);

/** The pharmacy's records changed after `since`, oldest change first (as the real API sorts them). */
function changedSince(records: readonly PharmacyAdministration[], since: string | null): PharmacyAdministration[] {
  const after = since === null ? -Infinity : Date.parse(since);
  return records
    .filter((r) => Date.parse(r.updated_at) > after)
    .sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.id.localeCompare(b.id));
}

function pharmacyPage(
  kind: string,
  records: PharmacyAdministration[],
  url: URL,
  base: string,
  res: ServerResponse,
): void {
  const limit = Math.max(1, Math.min(500, Number(url.searchParams.get('limit') ?? 50)));
  switch (kind) {
    case 'cursor': {
      // An opaque cursor: the base64 of the next index.
      const token = url.searchParams.get('cursor');
      const from = token === null ? 0 : Number(Buffer.from(token, 'base64url').toString());
      const next = from + limit < records.length ? Buffer.from(String(from + limit)).toString('base64url') : null;
      send(res, 200, { data: records.slice(from, from + limit), next_cursor: next });
      return;
    }
    case 'offset': {
      const offset = Number(url.searchParams.get('offset') ?? 0);
      send(res, 200, { data: records.slice(offset, offset + limit), total: records.length });
      return;
    }
    case 'page': {
      const page = Number(url.searchParams.get('page') ?? 1);
      send(res, 200, { data: records.slice((page - 1) * limit, page * limit) });
      return;
    }
    default: {
      const page = Number(url.searchParams.get('page') ?? 1);
      const headers: Record<string, string> = {};
      if (page * limit < records.length) {
        const next = new URL(url.pathname, base);
        for (const [k, v] of url.searchParams) next.searchParams.set(k, v);
        next.searchParams.set('page', String(page + 1));
        headers.link = `<${next.toString()}>; rel="next", <${base}/docs>; rel="help"`;
      }
      send(res, 200, records.slice((page - 1) * limit, page * limit), headers);
      return;
    }
  }
}

/** Matches a FHIR search's `_lastUpdated=gt<instant>`. */
function updatedAfter(resource: Record<string, unknown>, param: string | null): boolean {
  if (param === null) return true;
  const at = Date.parse(String((resource.meta as { lastUpdated?: string } | undefined)?.lastUpdated));
  return at > Date.parse(param.replace(/^gt/, ''));
}

/** Starts both fake sources on 127.0.0.1 (free ports); data is added by pushing to `pharmacy` and `fhir`. */
export async function startFakeSources(options: FakeSourcesOptions): Promise<FakeSources> {
  const log: FakeSources['log'] = [];
  const pharmacy: PharmacyAdministration[] = [];
  const fhir: Record<string, unknown>[] = [];
  const tokens = new Set<string>();

  const pharmacyServer = await listen(
    (req, res, url) => {
      if (req.headers['x-api-key'] !== options.apiKey) return send(res, 401, { error: 'missing or wrong API key' });
      const [, kind, resource] = url.pathname.split('/');
      if (resource !== 'administrations' || kind === undefined || !PAGE_KINDS.has(kind))
        return send(res, 404, { error: 'no such resource' });
      pharmacyPage(kind, changedSince(pharmacy, url.searchParams.get('updated_since')), url, pharmacyServer.base, res);
    },
    options.faults,
    log,
  );

  const fhirServer = await listen(
    async (req, res, url) => {
      if (url.pathname === '/oauth2/token') {
        const body = await new Promise<string>((done) => {
          let text = '';
          req.on('data', (chunk: Buffer) => (text += chunk.toString()));
          req.on('end', () => done(text));
        });
        const expected = `Basic ${Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString('base64')}`;
        if (
          req.method !== 'POST' ||
          req.headers.authorization !== expected ||
          new URLSearchParams(body).get('grant_type') !== 'client_credentials'
        )
          return send(res, 401, { error: 'invalid_client' });
        const token = randomBytes(16).toString('hex');
        tokens.add(token);
        return send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
      }
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (bearer === undefined || !tokens.has(bearer))
        return send(res, 401, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] });
      const type = url.pathname.replace(/^\/fhir\//, '');
      if (type !== 'Observation' && type !== 'MedicationAdministration')
        return send(res, 404, {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'not-supported' }],
        });
      const count = Math.max(1, Math.min(200, Number(url.searchParams.get('_count') ?? 20)));
      const offset = Number(url.searchParams.get('_offset') ?? 0);
      const matches = fhir
        .filter((r) => r.resourceType === type && updatedAfter(r, url.searchParams.get('_lastUpdated')))
        .sort((a, b) =>
          String((a.meta as { lastUpdated: string }).lastUpdated).localeCompare(
            String((b.meta as { lastUpdated: string }).lastUpdated),
          ),
        );
      const page = matches.slice(offset, offset + count);
      const entry: Record<string, unknown>[] = page.map((resource) => ({
        fullUrl: `${fhirServer.base}/fhir/${type}/${String(resource.id)}`,
        resource,
        search: { mode: 'match' },
      }));
      if (url.searchParams.get('_include') === 'MedicationAdministration:request') {
        const wanted = new Set(
          page
            .map((r) => (r.request as { reference?: string } | undefined)?.reference)
            .filter((r): r is string => r !== undefined),
        );
        for (const resource of fhir)
          if (wanted.has(`MedicationRequest/${String(resource.id)}`))
            entry.push({ resource, search: { mode: 'include' } });
      }
      const link: { relation: string; url: string }[] = [{ relation: 'self', url: url.toString() }];
      if (offset + count < matches.length) {
        const next = new URL(`${fhirServer.base}${url.pathname}`);
        for (const [k, v] of url.searchParams) next.searchParams.set(k, v);
        next.searchParams.set('_offset', String(offset + count));
        link.push({ relation: 'next', url: next.toString() });
      }
      send(
        res,
        200,
        { resourceType: 'Bundle', type: 'searchset', total: matches.length, link, entry },
        { 'content-type': 'application/fhir+json' },
      );
    },
    options.faults,
    log,
  );

  return {
    pharmacyUrl: pharmacyServer.base,
    fhirUrl: `${fhirServer.base}/fhir`,
    tokenUrl: `${fhirServer.base}/oauth2/token`,
    pharmacy,
    fhir,
    log,
    async close() {
      await Promise.all(
        [pharmacyServer.server, fhirServer.server].map(
          (server) =>
            new Promise<void>((done) => {
              server.closeAllConnections();
              server.close(() => done());
            }),
        ),
      );
    },
  };
}
