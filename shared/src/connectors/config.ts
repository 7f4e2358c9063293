// One piece on purpose: the connector file's schema, every field's rule and message beside its neighbours.
/**
 * Connector configuration: one JSON file per third-party source, checked when
 * it is loaded so a mistake is named before any request is sent. A connector
 * says when it runs, where it reads, how it authenticates (secrets by
 * reference only), how it pages, how it syncs incrementally, how hard it may
 * push the source, and how records map into a dataset contract.
 *
 * The file's shape is a zod schema and the types are inferred from it; every
 * problem is said in words an engineer can act on, and in the order of the file's fields.
 * (Over 300 lines: the whole file format, field by field with its docs, reads best in one place.)
 */
import { z } from 'zod';
import type { ColumnSpec, DatasetContract, Site } from '../datasets/contract';
import { SITES } from '../datasets/contract';
import { DATASETS, findContract } from '../datasets/registry';
import { parseScheduleExpression } from '../schedules/schedule-expressions';
import type { DatabaseConnectorConfig } from './database-config';
import { isDatabaseConnectorKind, parseDatabaseConnectorConfig } from './database-config';
import { isPlainObject, matching, object, secretName, text, typed, url, wholeNumber } from './config-fields';

export { isAllowedOrigin } from './config-fields';

/** Connector names appear in state keys, logs and raw metadata: lower-case words and dashes. */
export const CONNECTOR_NAME = /^[a-z0-9][a-z0-9-]{1,62}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
const PARAM_NAME = /^[A-Za-z0-9_.[\]:-]{1,64}$/;

/** The FHIR R4 searches a connector can run, each feeding one dataset. */
export const FHIR_RESOURCES = { Observation: 'vitals', MedicationAdministration: 'dosage' } as const;
export type FhirResource = keyof typeof FHIR_RESOURCES;
const FHIR_RESOURCE_NAMES = Object.keys(FHIR_RESOURCES) as [FhirResource, ...FhirResource[]];

const AUTH_TYPES = 'none, api_key or oauth2_client_credentials';
const AuthVariants = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('none') }),
    /** The key is sent in `header`; `secret` names where the key is kept. */
    z.object({
      type: z.literal('api_key'),
      header: matching('auth.header', HEADER_NAME),
      secret: secretName('auth.secret'),
    }),
    /** RFC 6749 section 4.4; `clientSecret` names where the client secret is kept. */
    z.object({
      type: z.literal('oauth2_client_credentials'),
      tokenUrl: url('auth.tokenUrl'),
      clientId: text('auth.clientId'),
      clientSecret: secretName('auth.clientSecret'),
      scope: text('auth.scope').optional(),
    }),
  ],
  { error: `auth.type must be ${AUTH_TYPES}` },
);
const AuthSchema = typed('auth', AUTH_TYPES).pipe(AuthVariants).default({ type: 'none' });
export type ConnectorAuth = z.output<typeof AuthSchema>;

const PAGINATION_TYPES = 'none, cursor, offset, page or link_header';
const PaginationVariants = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('none') }),
    /** The response names the next page's cursor at `nextCursorPath`; it is sent back as `cursorParam`. */
    z.object({
      type: z.literal('cursor'),
      cursorParam: matching('pagination.cursorParam', PARAM_NAME),
      nextCursorPath: text('pagination.nextCursorPath'),
    }),
    z.object({ type: z.literal('offset'), offsetParam: matching('pagination.offsetParam', PARAM_NAME) }),
    z.object({
      type: z.literal('page'),
      pageParam: matching('pagination.pageParam', PARAM_NAME),
      firstPage: wholeNumber('pagination.firstPage', 0, 1, 1),
    }),
    /** RFC 8288 `Link: <...>; rel="next"`. */
    z.object({ type: z.literal('link_header') }),
  ],
  { error: `pagination.type must be ${PAGINATION_TYPES}` },
);
const PaginationSchema = typed('pagination', PAGINATION_TYPES).pipe(PaginationVariants).default({ type: 'none' });
export type Pagination = z.output<typeof PaginationSchema>;

export const DEFAULT_LIMITS = {
  maxRequestsPerRun: 200,
  maxRetries: 4,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  maxRetryAfterSeconds: 120,
  runTimeoutSeconds: 240,
  requestTimeoutSeconds: 30,
};

const d = DEFAULT_LIMITS;
const LimitsSchema = z.preprocess(
  (value) => value ?? {},
  z.object(
    {
      /** HTTP requests one run may send, retries and token requests included; the run checkpoints when it is spent. */
      maxRequestsPerRun: wholeNumber('limits.maxRequestsPerRun', 1, 100_000, d.maxRequestsPerRun),
      /** Retries of one request after a 429, a 5xx or a network error. */
      maxRetries: wholeNumber('limits.maxRetries', 0, 10, d.maxRetries),
      /** The first 5xx backoff; each retry doubles it, with jitter, up to backoffMaxMs. */
      backoffBaseMs: wholeNumber('limits.backoffBaseMs', 1, 60_000, d.backoffBaseMs),
      backoffMaxMs: wholeNumber('limits.backoffMaxMs', 1, 600_000, d.backoffMaxMs),
      /** A Retry-After asking for longer than this fails the request instead of stalling the run. */
      maxRetryAfterSeconds: wholeNumber('limits.maxRetryAfterSeconds', 0, 3600, d.maxRetryAfterSeconds),
      /** A run checkpoints and stops after this long; the next run continues where it stopped. */
      runTimeoutSeconds: wholeNumber('limits.runTimeoutSeconds', 1, 900, d.runTimeoutSeconds),
      requestTimeoutSeconds: wholeNumber('limits.requestTimeoutSeconds', 1, 300, d.requestTimeoutSeconds),
    },
    { error: 'limits must be an object' },
  ),
);
export type ConnectorLimits = z.output<typeof LimitsSchema>;

const INCREMENTAL_OBJECT = 'incremental must be an object with start and lookbackMinutes';
const IncrementalSchema = z.object(
  {
    /** Where the first run starts (ISO 8601 datetime). */
    start: text('incremental.start')
      .refine((start) => /^\d{4}-\d{2}-\d{2}T/.test(start) && !Number.isNaN(Date.parse(start)), {
        error: 'incremental.start must be an ISO 8601 datetime, e.g. 2026-01-01T00:00:00Z',
      })
      .transform((start) => new Date(start).toISOString()),
    /** Each run re-reads this far behind the committed cursor, for records the source stamps late. */
    lookbackMinutes: wholeNumber('incremental.lookbackMinutes', 0, 7 * 24 * 60),
  },
  { error: INCREMENTAL_OBJECT },
);
export type IncrementalSync = z.output<typeof IncrementalSchema>;

/** What every connector says, in the order its problems are told. */
const commonSchema = (expectedName: string | undefined) =>
  z.object({
    name: matching('name', CONNECTOR_NAME).refine((name) => expectedName === undefined || name === expectedName, {
      error: (issue) =>
        `name ${String(issue.input)} must match the file name (${expectedName}.json): one file per source`,
    }),
    /** EventBridge `rate(...)` or `cron(...)`. */
    schedule: text('schedule').superRefine((schedule, ctx) => {
      try {
        parseScheduleExpression(schedule);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: error instanceof Error ? error.message : 'schedule is not a rate() or cron() expression',
        });
      }
    }),
    /** `https://...`; plain http only on loopback (the local demo servers). */
    baseUrl: url('baseUrl'),
    auth: AuthSchema,
    limits: LimitsSchema,
    pageSize: wholeNumber('pageSize', 1, 10_000, 100),
    incremental: IncrementalSchema,
  });

const DatasetNameSchema = text('dataset').refine((name) => findContract(name) !== undefined, {
  error: (issue) =>
    `dataset ${String(issue.input)} is not a known dataset contract (known: ${DATASETS.map((c) => c.name).join(', ')})`,
});

/** Where a contract column's value comes from: a dotted path into the source record, or a constant. */
const FieldSourceSchema = z.union([text('source'), z.strictObject({ const: z.union([z.string(), z.number()]) })]);
export type FieldSource = z.output<typeof FieldSourceSchema>;

const RestSchema = z.object({
  dataset: DatasetNameSchema,
  /** Path under baseUrl, e.g. `/v1/administrations`. */
  path: matching('path', /^\/[^?#]*$/),
  /** Fixed query parameters sent with every request. */
  query: object('query')
    .refine((query) => Object.values(query).every((value) => typeof value === 'string'), {
      error: 'query values must be strings',
    })
    .transform((query) => query as Record<string, string>)
    .default({}),
  /** The dotted path to the records array in a response; empty when the response is the array. */
  recordsPath: z.preprocess(
    (value) => value ?? '',
    z
      .string({ error: 'recordsPath must be a non-empty string' })
      .refine((path) => path === '' || path.trim() !== '', { error: 'recordsPath must be a non-empty string' }),
  ),
  /** The query parameter carrying the page size; omitted when the source has none. */
  pageSizeParam: matching('pageSizeParam', PARAM_NAME).optional(),
  pagination: PaginationSchema,
  incremental: z.looseObject(
    {
      /** The query parameter that asks for records changed since a datetime. */
      param: matching('incremental.param', PARAM_NAME),
      /** The dotted path of the record's change datetime: the cursor advances to the latest one read. */
      field: text('incremental.field'),
    },
    { error: INCREMENTAL_OBJECT },
  ),
  /** Contract column (or a column's unit column) -> where its value comes from. */
  mapping: z.record(z.string(), z.unknown(), { error: 'mapping must be an object of contract column -> source field' }),
});

const RESOURCES_LIST = `resources must be a non-empty list of ${FHIR_RESOURCE_NAMES.join(', ')}`;
const FhirSchema = z.object({
  resources: z
    .array(z.enum(FHIR_RESOURCE_NAMES, { error: RESOURCES_LIST }), { error: RESOURCES_LIST })
    .nonempty({ error: RESOURCES_LIST, abort: true })
    .refine((resources) => new Set(resources).size === resources.length, { error: 'resources lists a resource twice' }),
  /** FHIR resources do not say which site's patients they are: the endpoint does. */
  site: text('site').pipe(z.enum(SITES as [Site, ...Site[]], { error: `site must be one of ${SITES.join(', ')}` })),
});

/** The column names a mapping may fill: the contract's columns and the unit columns they read. */
export function mappableColumns(contract: DatasetContract): Set<string> {
  return new Set(
    contract.columns.flatMap((c: ColumnSpec) => [c.name, ...(c.unitColumn !== undefined ? [c.unitColumn] : [])]),
  );
}

/** A mapping into `contract`: columns it has, each from a field path or a constant, every required column filled. */
const mappingInto = (contract: DatasetContract) =>
  z.record(z.string(), z.unknown()).transform((raw, ctx) => {
    const fail = (message: string) => ctx.issues.push({ code: 'custom', message, input: raw });
    const allowed = mappableColumns(contract);
    const mapping: Record<string, FieldSource> = {};
    for (const [column, source] of Object.entries(raw)) {
      const parsed = FieldSourceSchema.safeParse(source);
      if (!allowed.has(column))
        fail(
          `mapping names ${column}, which is not a column of ${contract.name} (columns: ${[...allowed].join(', ')})`,
        );
      else if (parsed.success) mapping[column] = parsed.data;
      else fail(`mapping.${column} must be a source field path ("patient.mrn") or {"const": value}`);
    }
    for (const column of contract.columns)
      if (column.required === true && mapping[column.name] === undefined)
        fail(`mapping has no source for ${column.name}, which ${contract.name} requires`);
    return mapping;
  });

type CommonConfig = z.output<ReturnType<typeof commonSchema>>;

export type RestConnectorConfig = CommonConfig &
  Omit<z.output<typeof RestSchema>, 'incremental' | 'mapping'> & {
    kind: 'rest';
    incremental: IncrementalSync & { param: string; field: string };
    mapping: Record<string, FieldSource>;
  };

export type FhirConnectorConfig = CommonConfig & z.output<typeof FhirSchema> & { kind: 'fhir' };

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

/**
 * Checks one connector file's parsed JSON. `source` names the file in errors;
 * `expectedName`, when given, is the name the file's name implies. Throws
 * ConnectorConfigError listing every problem, each once, in the order of the fields.
 */
export function parseConnectorConfig(raw: unknown, source: string, expectedName?: string): ConnectorConfig {
  if (!isPlainObject(raw)) throw new ConnectorConfigError(source, ['the file must hold a JSON object']);
  if (isDatabaseConnectorKind(raw.kind))
    return parseDatabaseConnectorConfig(raw, expectedName, (problems) => new ConnectorConfigError(source, problems));
  const problems: string[] = [];
  const checked = <T>(result: z.ZodSafeParseResult<T>): T | undefined => {
    if (result.success) return result.data;
    problems.push(...result.error.issues.map((issue) => issue.message));
    return undefined;
  };
  const common = checked(commonSchema(expectedName).safeParse(raw));
  let config: ConnectorConfig | undefined;
  if (raw['kind'] === 'rest') {
    const rest = checked(RestSchema.safeParse(raw));
    const contract = typeof raw['dataset'] === 'string' ? findContract(raw['dataset']) : undefined;
    // The mapping is checked against the dataset's contract once both are known; RestSchema told what else is wrong.
    const rawMapping = raw['mapping'];
    const mapping =
      contract === undefined || !isPlainObject(rawMapping)
        ? undefined
        : checked(mappingInto(contract).safeParse(rawMapping));
    if (common !== undefined && rest !== undefined && mapping !== undefined) {
      const { incremental, ...settings } = common;
      const { param, field } = rest.incremental;
      config = {
        ...settings,
        kind: 'rest',
        dataset: rest.dataset,
        path: rest.path,
        query: rest.query,
        recordsPath: rest.recordsPath,
        ...(rest.pageSizeParam !== undefined ? { pageSizeParam: rest.pageSizeParam } : {}),
        pagination: rest.pagination,
        incremental: { ...incremental, param, field },
        mapping,
      };
    }
  } else if (raw['kind'] === 'fhir') {
    const fhir = checked(FhirSchema.safeParse(raw));
    if (common !== undefined && fhir !== undefined) {
      const { incremental, ...settings } = common;
      config = { ...settings, kind: 'fhir', resources: fhir.resources, site: fhir.site, incremental };
    }
  } else problems.push('kind must be rest, fhir, postgres or postgres-cdc');
  if (config === undefined || problems.length > 0) throw new ConnectorConfigError(source, [...new Set(problems)]);
  return config;
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
