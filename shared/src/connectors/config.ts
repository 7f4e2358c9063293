/**
 * Connector configuration: one JSON file per third-party source, checked when
 * it is loaded so a mistake is named before any request is sent. A connector
 * says when it runs, where it reads, how it authenticates (secrets by
 * reference only), how it pages, how it syncs incrementally, how hard it may
 * push the source, and how records map into a dataset contract.
 */
import type { ColumnSpec, DatasetContract, Site } from '../datasets/contract';
import { SITES } from '../datasets/contract';
import { DATASETS, findContract } from '../datasets/registry';
import { parseScheduleExpression } from '../schedules/schedule-expressions';
import type { DatabaseConnectorConfig } from './database-config';
import { isDatabaseConnectorKind, parseDatabaseConnectorConfig } from './database-config';

/** Connector names appear in state keys, logs and raw metadata: lower-case words and dashes. */
export const CONNECTOR_NAME = /^[a-z0-9][a-z0-9-]{1,62}$/;
/** Secret names: an SSM parameter name under the stage's connector prefix, or a key of the local secrets file. */
const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_./-]{0,199}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
const PARAM_NAME = /^[A-Za-z0-9_.[\]:-]{1,64}$/;

export type ConnectorAuth =
  | { type: 'none' }
  /** The key is sent in `header`; `secret` names where the key is kept. */
  | { type: 'api_key'; header: string; secret: string }
  /** RFC 6749 section 4.4; `clientSecret` names where the client secret is kept. */
  | { type: 'oauth2_client_credentials'; tokenUrl: string; clientId: string; clientSecret: string; scope?: string };

export type Pagination =
  | { type: 'none' }
  /** The response names the next page's cursor at `nextCursorPath`; it is sent back as `cursorParam`. */
  | { type: 'cursor'; cursorParam: string; nextCursorPath: string }
  | { type: 'offset'; offsetParam: string }
  | { type: 'page'; pageParam: string; firstPage: number }
  /** RFC 8288 `Link: <...>; rel="next"`. */
  | { type: 'link_header' };

export interface ConnectorLimits {
  /** HTTP requests one run may send, retries and token requests included; the run checkpoints when it is spent. */
  maxRequestsPerRun: number;
  /** Retries of one request after a 429, a 5xx or a network error. */
  maxRetries: number;
  /** The first 5xx backoff; each retry doubles it, with jitter, up to backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A Retry-After asking for longer than this fails the request instead of stalling the run. */
  maxRetryAfterSeconds: number;
  /** A run checkpoints and stops after this long; the next run continues where it stopped. */
  runTimeoutSeconds: number;
  requestTimeoutSeconds: number;
}

export const DEFAULT_LIMITS: ConnectorLimits = {
  maxRequestsPerRun: 200,
  maxRetries: 4,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  maxRetryAfterSeconds: 120,
  runTimeoutSeconds: 240,
  requestTimeoutSeconds: 30,
};

export interface IncrementalSync {
  /** Where the first run starts (ISO 8601 datetime). */
  start: string;
  /** Each run re-reads this far behind the committed cursor, for records the source stamps late. */
  lookbackMinutes: number;
}

/** Where a contract column's value comes from: a dotted path into the source record, or a constant. */
export type FieldSource = string | { const: string | number };

interface CommonConfig {
  name: string;
  /** EventBridge `rate(...)` or `cron(...)`. */
  schedule: string;
  /** `https://...`; plain http only on loopback (the local demo servers). */
  baseUrl: string;
  auth: ConnectorAuth;
  limits: ConnectorLimits;
  pageSize: number;
}

export interface RestConnectorConfig extends CommonConfig {
  kind: 'rest';
  dataset: string;
  /** Path under baseUrl, e.g. `/v1/administrations`. */
  path: string;
  /** Fixed query parameters sent with every request. */
  query: Record<string, string>;
  /** The dotted path to the records array in a response; empty when the response is the array. */
  recordsPath: string;
  /** The query parameter carrying the page size; omitted when the source has none. */
  pageSizeParam?: string;
  pagination: Pagination;
  incremental: IncrementalSync & {
    /** The query parameter that asks for records changed since a datetime. */
    param: string;
    /** The dotted path of the record's change datetime: the cursor advances to the latest one read. */
    field: string;
  };
  /** Contract column (or a column's unit column) -> where its value comes from. */
  mapping: Record<string, FieldSource>;
}

/** The FHIR R4 searches a connector can run, each feeding one dataset. */
export const FHIR_RESOURCES = { Observation: 'vitals', MedicationAdministration: 'dosage' } as const;
export type FhirResource = keyof typeof FHIR_RESOURCES;

export interface FhirConnectorConfig extends CommonConfig {
  kind: 'fhir';
  resources: FhirResource[];
  /** FHIR resources do not say which site's patients they are: the endpoint does. */
  site: Site;
  incremental: IncrementalSync;
}

/** Connectors that talk HTTP to their source. */
export type HttpConnectorConfig = RestConnectorConfig | FhirConnectorConfig;

export type ConnectorConfig = HttpConnectorConfig | DatabaseConnectorConfig;

/** A connector file that cannot be used; lists every problem found, never a secret's value (configs hold none). */
export class ConnectorConfigError extends Error {
  override name = 'ConnectorConfigError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`connector config ${source}: ${problems.join('; ')}`);
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The column names a mapping may fill: the contract's columns and the unit columns they read. */
export function mappableColumns(contract: DatasetContract): Set<string> {
  return new Set(
    contract.columns.flatMap((c: ColumnSpec) => [c.name, ...(c.unitColumn !== undefined ? [c.unitColumn] : [])]),
  );
}

/** True when `url` may carry credentials: https anywhere, http only to this machine. */
export function isAllowedOrigin(url: URL): boolean {
  return (
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
  );
}

class Checker {
  readonly problems: string[] = [];
  constructor(private readonly at: Json) {}
  fail(message: string): undefined {
    this.problems.push(message);
    return undefined;
  }
  string(field: string, pattern?: RegExp, from: Json = this.at, label = field): string | undefined {
    const value = from[field];
    if (typeof value !== 'string' || value.trim() === '') return this.fail(`${label} must be a non-empty string`);
    if (pattern !== undefined && !pattern.test(value))
      return this.fail(`${label} ${JSON.stringify(value.slice(0, 80))} must match ${pattern.source}`);
    return value;
  }
  /** A secret's name; a value that is not one may be the secret itself pasted in, so it is never echoed. */
  secretName(field: string, from: Json, label: string): string | undefined {
    const value = from[field];
    if (typeof value !== 'string' || !SECRET_NAME.test(value))
      return this.fail(`${label} must be the name of a secret (letters, digits, . _ / -), never the secret itself`);
    return value;
  }
  optionalString(field: string, from: Json, label = field): string | undefined {
    return from[field] === undefined ? undefined : this.string(field, undefined, from, label);
  }
  int(
    field: string,
    min: number,
    max: number,
    fallback: number | undefined,
    from: Json = this.at,
    label = field,
  ): number | undefined {
    const value = from[field] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      return this.fail(`${label} must be a whole number ${min}..${max}`);
    return value;
  }
  object(field: string, from: Json = this.at, label = field): Json | undefined {
    const value = from[field];
    return isObject(value) ? value : this.fail(`${label} must be an object`);
  }
  url(text: string | undefined, label: string): string | undefined {
    if (text === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return this.fail(`${label} is not a URL`);
    }
    if (!isAllowedOrigin(url))
      return this.fail(
        `${label} must be https (plain http only to 127.0.0.1 or localhost), so credentials never cross a network in clear`,
      );
    if (url.username !== '' || url.password !== '')
      return this.fail(`${label} must not hold credentials; use auth with a secret reference`);
    return text.replace(/\/+$/, '');
  }
}

function checkAuth(c: Checker, raw: unknown): ConnectorAuth | undefined {
  if (raw === undefined) return { type: 'none' };
  if (!isObject(raw)) return c.fail('auth must be an object');
  switch (raw.type) {
    case 'none':
      return { type: 'none' };
    case 'api_key': {
      const header = c.string('header', HEADER_NAME, raw, 'auth.header');
      const secret = c.secretName('secret', raw, 'auth.secret');
      return header !== undefined && secret !== undefined ? { type: 'api_key', header, secret } : undefined;
    }
    case 'oauth2_client_credentials': {
      const tokenUrl = c.url(c.string('tokenUrl', undefined, raw, 'auth.tokenUrl'), 'auth.tokenUrl');
      const clientId = c.string('clientId', undefined, raw, 'auth.clientId');
      const clientSecret = c.secretName('clientSecret', raw, 'auth.clientSecret');
      const scope = c.optionalString('scope', raw, 'auth.scope');
      if (tokenUrl === undefined || clientId === undefined || clientSecret === undefined) return undefined;
      return {
        type: 'oauth2_client_credentials',
        tokenUrl,
        clientId,
        clientSecret,
        ...(scope !== undefined ? { scope } : {}),
      };
    }
    default:
      return c.fail('auth.type must be none, api_key or oauth2_client_credentials');
  }
}

function checkPagination(c: Checker, raw: unknown): Pagination | undefined {
  if (raw === undefined) return { type: 'none' };
  if (!isObject(raw)) return c.fail('pagination must be an object');
  switch (raw.type) {
    case 'none':
      return { type: 'none' };
    case 'cursor': {
      const cursorParam = c.string('cursorParam', PARAM_NAME, raw, 'pagination.cursorParam');
      const nextCursorPath = c.string('nextCursorPath', undefined, raw, 'pagination.nextCursorPath');
      return cursorParam !== undefined && nextCursorPath !== undefined
        ? { type: 'cursor', cursorParam, nextCursorPath }
        : undefined;
    }
    case 'offset': {
      const offsetParam = c.string('offsetParam', PARAM_NAME, raw, 'pagination.offsetParam');
      return offsetParam !== undefined ? { type: 'offset', offsetParam } : undefined;
    }
    case 'page': {
      const pageParam = c.string('pageParam', PARAM_NAME, raw, 'pagination.pageParam');
      const firstPage = c.int('firstPage', 0, 1, 1, raw, 'pagination.firstPage');
      return pageParam !== undefined && firstPage !== undefined ? { type: 'page', pageParam, firstPage } : undefined;
    }
    case 'link_header':
      return { type: 'link_header' };
    default:
      return c.fail('pagination.type must be none, cursor, offset, page or link_header');
  }
}

function checkLimits(c: Checker, raw: unknown): ConnectorLimits | undefined {
  if (raw !== undefined && !isObject(raw)) return c.fail('limits must be an object');
  const r = raw ?? {};
  const d = DEFAULT_LIMITS;
  const limits = {
    maxRequestsPerRun: c.int('maxRequestsPerRun', 1, 100_000, d.maxRequestsPerRun, r, 'limits.maxRequestsPerRun'),
    maxRetries: c.int('maxRetries', 0, 10, d.maxRetries, r, 'limits.maxRetries'),
    backoffBaseMs: c.int('backoffBaseMs', 1, 60_000, d.backoffBaseMs, r, 'limits.backoffBaseMs'),
    backoffMaxMs: c.int('backoffMaxMs', 1, 600_000, d.backoffMaxMs, r, 'limits.backoffMaxMs'),
    maxRetryAfterSeconds: c.int(
      'maxRetryAfterSeconds',
      0,
      3600,
      d.maxRetryAfterSeconds,
      r,
      'limits.maxRetryAfterSeconds',
    ),
    runTimeoutSeconds: c.int('runTimeoutSeconds', 1, 900, d.runTimeoutSeconds, r, 'limits.runTimeoutSeconds'),
    requestTimeoutSeconds: c.int(
      'requestTimeoutSeconds',
      1,
      300,
      d.requestTimeoutSeconds,
      r,
      'limits.requestTimeoutSeconds',
    ),
  };
  return Object.values(limits).every((v) => v !== undefined) ? (limits as ConnectorLimits) : undefined;
}

function checkIncremental(c: Checker, raw: unknown): IncrementalSync | undefined {
  if (!isObject(raw)) return c.fail('incremental must be an object with start and lookbackMinutes');
  const start = c.string('start', undefined, raw, 'incremental.start');
  if (start !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(start) || Number.isNaN(Date.parse(start))))
    return c.fail('incremental.start must be an ISO 8601 datetime, e.g. 2026-01-01T00:00:00Z');
  const lookbackMinutes = c.int('lookbackMinutes', 0, 7 * 24 * 60, undefined, raw, 'incremental.lookbackMinutes');
  return start !== undefined && lookbackMinutes !== undefined
    ? { start: new Date(start).toISOString(), lookbackMinutes }
    : undefined;
}

function checkMapping(
  c: Checker,
  raw: unknown,
  contract: DatasetContract | undefined,
): Record<string, FieldSource> | undefined {
  if (!isObject(raw)) return c.fail('mapping must be an object of contract column -> source field');
  if (contract === undefined) return undefined;
  const allowed = mappableColumns(contract);
  const mapping: Record<string, FieldSource> = {};
  for (const [column, source] of Object.entries(raw)) {
    if (!allowed.has(column)) {
      c.fail(
        `mapping names ${column}, which is not a column of ${contract.name} (columns: ${[...allowed].join(', ')})`,
      );
      continue;
    }
    if (typeof source === 'string' && source.trim() !== '') mapping[column] = source;
    else if (
      isObject(source) &&
      (typeof source.const === 'string' || typeof source.const === 'number') &&
      Object.keys(source).length === 1
    )
      mapping[column] = { const: source.const };
    else c.fail(`mapping.${column} must be a source field path ("patient.mrn") or {"const": value}`);
  }
  for (const column of contract.columns)
    if (column.required === true && mapping[column.name] === undefined)
      c.fail(`mapping has no source for ${column.name}, which ${contract.name} requires`);
  return mapping;
}

/**
 * Checks one connector file's parsed JSON. `source` names the file in errors;
 * `expectedName`, when given, is the name the file's name implies. Throws
 * ConnectorConfigError listing every problem.
 */
export function parseConnectorConfig(raw: unknown, source: string, expectedName?: string): ConnectorConfig {
  if (!isObject(raw)) throw new ConnectorConfigError(source, ['the file must hold a JSON object']);
  if (isDatabaseConnectorKind(raw.kind))
    return parseDatabaseConnectorConfig(raw, expectedName, (problems) => new ConnectorConfigError(source, problems));
  const c = new Checker(raw);
  const name = c.string('name', CONNECTOR_NAME);
  if (name !== undefined && expectedName !== undefined && name !== expectedName)
    c.fail(`name ${name} must match the file name (${expectedName}.json): one file per source`);
  const schedule = c.string('schedule');
  if (schedule !== undefined) {
    try {
      parseScheduleExpression(schedule);
    } catch (error) {
      c.fail(error instanceof Error ? error.message : 'schedule is not a rate() or cron() expression');
    }
  }
  const baseUrl = c.url(c.string('baseUrl'), 'baseUrl');
  const auth = checkAuth(c, raw.auth);
  const limits = checkLimits(c, raw.limits);
  const pageSize = c.int('pageSize', 1, 10_000, 100);
  const incrementalRaw = raw.incremental;
  const incremental = checkIncremental(c, incrementalRaw);
  const common = { name, schedule, baseUrl, auth, limits, pageSize };
  const complete = <T extends object>(config: T): T => {
    if (c.problems.length > 0) throw new ConnectorConfigError(source, c.problems);
    return config;
  };
  if (raw.kind === 'rest') {
    const datasetName = c.string('dataset');
    const contract = datasetName === undefined ? undefined : findContract(datasetName);
    if (datasetName !== undefined && contract === undefined)
      c.fail(
        `dataset ${datasetName} is not a known dataset contract (known: ${DATASETS.map((d) => d.name).join(', ')})`,
      );
    const path = c.string('path', /^\/[^?#]*$/);
    const query = raw.query === undefined ? {} : c.object('query');
    if (query !== undefined && Object.values(query).some((v) => typeof v !== 'string'))
      c.fail('query values must be strings');
    const recordsPath = raw.recordsPath === undefined || raw.recordsPath === '' ? '' : c.string('recordsPath');
    const pageSizeParam = raw.pageSizeParam === undefined ? undefined : c.string('pageSizeParam', PARAM_NAME);
    const pagination = checkPagination(c, raw.pagination);
    const param = isObject(incrementalRaw)
      ? c.string('param', PARAM_NAME, incrementalRaw, 'incremental.param')
      : undefined;
    const field = isObject(incrementalRaw)
      ? c.string('field', undefined, incrementalRaw, 'incremental.field')
      : undefined;
    const mapping = checkMapping(c, raw.mapping, contract);
    return complete({
      ...common,
      kind: 'rest',
      dataset: datasetName,
      path,
      query: query as Record<string, string>,
      recordsPath,
      ...(pageSizeParam !== undefined ? { pageSizeParam } : {}),
      pagination,
      incremental: { ...incremental, param, field },
      mapping,
    } as RestConnectorConfig);
  }
  if (raw.kind === 'fhir') {
    const resources = raw.resources;
    const known = Object.keys(FHIR_RESOURCES);
    if (
      !Array.isArray(resources) ||
      resources.length === 0 ||
      resources.some((r) => typeof r !== 'string' || !known.includes(r))
    ) {
      c.fail(`resources must be a non-empty list of ${known.join(', ')}`);
    } else if (new Set(resources).size !== resources.length) c.fail('resources lists a resource twice');
    const site = c.string('site');
    if (site !== undefined && !(SITES as readonly string[]).includes(site))
      c.fail(`site must be one of ${SITES.join(', ')}`);
    return complete({ ...common, kind: 'fhir', resources, site, incremental } as FhirConnectorConfig);
  }
  c.fail('kind must be rest, fhir, postgres or postgres-cdc');
  throw new ConnectorConfigError(source, c.problems);
}

/** The secret names a connector reads. */
export function secretNames(config: ConnectorConfig): string[] {
  if ('connection' in config) {
    const { passwordSecret, tls } = config.connection;
    return [passwordSecret, ...(tls.mode === 'verify-full' && tls.caSecret !== undefined ? [tls.caSecret] : [])];
  }
  switch (config.auth.type) {
    case 'api_key':
      return [config.auth.secret];
    case 'oauth2_client_credentials':
      return [config.auth.clientSecret];
    case 'none':
      return [];
  }
}
