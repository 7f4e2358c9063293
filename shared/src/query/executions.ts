/**
 * Query executions for partners: a named query, rendered for the calling
 * partner and started on the engine (Athena, or DuckDB locally), is recorded
 * as an execution in the query results bucket (`executions/<id>.json`), so a
 * partner can poll it and page through its results from any Lambda container
 * and only ever its own. An identical request (same partner, query, version
 * and parameters) within the reuse window gets the earlier engine query's
 * result instead of a new scan. Cells that count patients are suppressed below
 * the small-cell threshold, and every page says which cells were.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { LakeDeps, QueryParameter, QueryResultPage } from '../ports';
import { RefusalError } from '../refusal';
import { readJsonIfPresent } from '../lake/objects';
import type { NamedQuery, ResultColumn } from './named-query';
import { getNamedQuery } from './named-queries';
import { renderNamedQuery } from './render';
import { dataRowsOfFirstPage } from './run';

/** Cells counting fewer patients than this are suppressed unless configured otherwise. */
export const DEFAULT_SMALL_CELL_THRESHOLD = 11;
/** An identical request within this many minutes reuses the earlier result unless configured otherwise. */
export const DEFAULT_REUSE_MINUTES = 60;
/** Rows per results page at most: Athena's GetQueryResults limit. */
export const MAX_PAGE_SIZE = 1000;

export interface ExecutionOptions {
  smallCellThreshold: number;
  reuseMinutes: number;
}

/** Execution options from the environment: SMALL_CELL_THRESHOLD and QUERY_RESULT_REUSE_MINUTES (unset or invalid: the defaults). */
export function executionOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): ExecutionOptions {
  const whole = (text: string | undefined, fallback: number) => {
    const n = Number(text);
    return text !== undefined && text.trim() !== '' && Number.isInteger(n) && n >= 0 ? n : fallback;
  };
  return {
    smallCellThreshold: whole(env.SMALL_CELL_THRESHOLD, DEFAULT_SMALL_CELL_THRESHOLD),
    reuseMinutes: whole(env.QUERY_RESULT_REUSE_MINUTES, DEFAULT_REUSE_MINUTES),
  };
}

/** What the lake keeps of one execution. Parameters are the validated values, never the raw request. */
export interface ExecutionRecord {
  executionId: string;
  partnerId: string;
  query: string;
  version: number;
  parameters: Record<string, QueryParameter>;
  engineQueryId: string;
  submittedAt: string;
  /** The execution whose result this one reuses. */
  reusedFrom?: string;
}

export type ExecutionState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface ExecutionStatus {
  executionId: string;
  query: string;
  version: number;
  parameters: Record<string, QueryParameter>;
  status: ExecutionState;
  submittedAt: string;
  completedAt?: string;
  durationMs?: number;
  bytesScanned?: number;
  reused: boolean;
  /** Why it failed, in words for the partner (the engine's own message stays in the logs). */
  error?: string;
}

export type CellValue = string | number | boolean | null;

export interface ResultsPage {
  executionId: string;
  columns: readonly ResultColumn[];
  /** Rows as arrays in column order, values typed by the column types. */
  rows: CellValue[][];
  /** Cells blanked because they count fewer patients than the threshold: row index in the whole result, and column name. */
  suppressed: { row: number; column: string }[];
  nextPageToken?: string;
}

/** A request about executions a partner can fix. */
export class ExecutionRequestError extends RefusalError {
  override name = 'ExecutionRequestError';
}

const EXECUTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const recordKey = (executionId: string) => `executions/${executionId}.json`;
/** The latest execution of one (partner, query, version, parameters): what reuse looks up. */
const reuseKey = (fingerprint: string) => `executions/by-request/${fingerprint}.json`;

/** The request body's parameters as text, as the validator takes them; anything but scalars is refused. */
function parameterTexts(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ExecutionRequestError('invalid', 'invalid_body', 'parameters must be an object of name: value');
  const texts: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === null || value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ExecutionRequestError(
        'invalid',
        'invalid_body',
        `parameter values must be strings, numbers or booleans${/^[a-z][a-z0-9_]{0,40}$/.test(name) ? ` (${name} is not)` : ''}`,
      );
    }
    texts[name] = String(value);
  }
  return texts;
}

/** The body of `POST /v1/queries/{name}/executions`: `{"parameters": {...}, "version"?: n}`. */
export function parseExecutionRequest(body: string | null): { parameters: Record<string, string>; version?: number } {
  if (body === null || body.trim() === '') return { parameters: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ExecutionRequestError(
      'invalid',
      'invalid_body',
      'the body must be JSON: {"parameters": {"name": "value"}}',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ExecutionRequestError(
      'invalid',
      'invalid_body',
      'the body must be a JSON object: {"parameters": {"name": "value"}}',
    );
  const { parameters, version } = parsed as { parameters?: unknown; version?: unknown };
  if (version !== undefined && (typeof version !== 'number' || !Number.isInteger(version) || version < 1)) {
    throw new ExecutionRequestError('invalid', 'invalid_body', 'version must be a positive whole number');
  }
  return { parameters: parameterTexts(parameters), ...(typeof version === 'number' ? { version } : {}) };
}

/**
 * Starts (or reuses) an execution of named query `name` for `partnerId`.
 * Throws UnknownQueryError (not found) or ParameterError (invalid) for the partner to fix.
 */
export async function startExecution(
  deps: Pick<LakeDeps, 'store' | 'engine' | 'names' | 'clock'>,
  partnerId: string,
  request: { query: string; version?: number; parameters: Record<string, string> },
  options: ExecutionOptions,
): Promise<ExecutionRecord> {
  const named = getNamedQuery(request.query, request.version);
  const rendered = renderNamedQuery(
    named,
    request.parameters,
    { partnerId },
    { curatedDatabase: deps.names.databases.curated, dialect: deps.engine.dialect },
  );
  const bucket = deps.names.buckets['query-results'];
  const now = deps.clock.now();
  const values = rendered.values;
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([partnerId, named.name, named.version, values]))
    .digest('hex');

  const previous =
    options.reuseMinutes > 0
      ? await readJsonIfPresent<ExecutionRecord>(deps.store, bucket, reuseKey(fingerprint))
      : undefined;
  const fresh =
    previous !== undefined && now.getTime() - Date.parse(previous.submittedAt) < options.reuseMinutes * 60_000;
  const reusable =
    fresh &&
    ['QUEUED', 'RUNNING', 'SUCCEEDED'].includes(
      (await deps.engine.status(previous.engineQueryId).catch(() => undefined))?.state ?? '',
    );
  const engineQueryId = reusable
    ? previous.engineQueryId
    : await deps.engine.start(rendered.sql, {
        database: deps.names.databases.curated,
        parameters: rendered.parameters,
      });
  const record: ExecutionRecord = {
    executionId: randomUUID(),
    partnerId,
    query: named.name,
    version: named.version,
    parameters: values,
    engineQueryId,
    submittedAt: now.toISOString(),
    ...(reusable ? { reusedFrom: previous.reusedFrom ?? previous.executionId } : {}),
  };
  await deps.store.put(bucket, recordKey(record.executionId), JSON.stringify(record), {
    contentType: 'application/json',
  });
  if (!reusable)
    await deps.store.put(bucket, reuseKey(fingerprint), JSON.stringify(record), { contentType: 'application/json' });
  return record;
}

/** The partner's own execution `executionId`; another partner's is as unknown as one that never existed. */
export async function findExecution(
  deps: Pick<LakeDeps, 'store' | 'names'>,
  partnerId: string,
  executionId: string,
): Promise<ExecutionRecord> {
  const record = EXECUTION_ID.test(executionId)
    ? await readJsonIfPresent<ExecutionRecord>(deps.store, deps.names.buckets['query-results'], recordKey(executionId))
    : undefined;
  if (record === undefined || record.partnerId !== partnerId)
    throw new ExecutionRequestError(
      'not_found',
      'unknown_execution',
      'there is no execution with this id for your key',
    );
  return record;
}

/** Where an execution stands, with its timings and the bytes the engine scanned. */
export async function executionStatus(
  deps: Pick<LakeDeps, 'engine'>,
  record: ExecutionRecord,
): Promise<ExecutionStatus> {
  const status = await deps.engine.status(record.engineQueryId);
  const completedAt = status.completedAt?.toISOString();
  return {
    executionId: record.executionId,
    query: record.query,
    version: record.version,
    parameters: record.parameters,
    status: status.state,
    submittedAt: record.submittedAt,
    ...(completedAt !== undefined
      ? { completedAt, durationMs: Math.max(0, (status.completedAt?.getTime() ?? 0) - status.submittedAt.getTime()) }
      : {}),
    ...(status.bytesScanned !== undefined ? { bytesScanned: status.bytesScanned } : {}),
    reused: record.reusedFrom !== undefined,
    ...(status.state === 'FAILED' || status.state === 'CANCELLED'
      ? {
          error: `the query ${status.state.toLowerCase()}; start it again, and if it fails again quote execution ${record.executionId} to the lake operator`,
        }
      : {}),
  };
}

/** A column value typed by its declared type. */
function typedCell(value: string | null, column: ResultColumn): CellValue {
  if (value === null) return null;
  switch (column.type) {
    case 'bigint':
    case 'double': {
      const n = Number(value);
      return Number.isFinite(n) && (column.type === 'double' || Number.isSafeInteger(n)) ? n : value;
    }
    case 'boolean':
      return value === 'true';
    default:
      return value;
  }
}

interface PageToken {
  /** Rows of the result before this page. */
  offset: number;
  engine?: string;
}

function decodeToken(executionId: string, token: string): PageToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      x?: unknown;
      o?: unknown;
      e?: unknown;
    };
    if (
      parsed.x === executionId &&
      typeof parsed.o === 'number' &&
      Number.isInteger(parsed.o) &&
      parsed.o >= 0 &&
      (parsed.e === undefined || typeof parsed.e === 'string')
    ) {
      return { offset: parsed.o, ...(typeof parsed.e === 'string' ? { engine: parsed.e } : {}) };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new ExecutionRequestError(
    'invalid',
    'invalid_page_token',
    'pageToken is not one this execution gave out; start from the first page',
  );
}

const encodeToken = (executionId: string, token: PageToken) =>
  Buffer.from(JSON.stringify({ x: executionId, o: token.offset, e: token.engine }), 'utf8').toString('base64url');

/** Blanks the cells of patient-counting columns under the threshold (a zero discloses nobody, so it stays). */
function suppress(
  named: NamedQuery,
  rows: CellValue[][],
  offset: number,
  threshold: number,
): ResultsPage['suppressed'] {
  const suppressed: ResultsPage['suppressed'] = [];
  const columns = named.suppress?.columns ?? [];
  const indexes = columns.map((name) => named.columns.findIndex((c) => c.name === name));
  rows.forEach((row, r) => {
    indexes.forEach((i, k) => {
      const value = row[i];
      if (typeof value === 'number' && value > 0 && value < threshold) {
        row[i] = null;
        suppressed.push({ row: offset + r, column: columns[k] ?? '' });
      }
    });
  });
  return suppressed;
}

/**
 * One page of a SUCCEEDED execution's result (refused as not ready while it runs). The engine's
 * header row (Athena repeats the column names first) never reaches the partner.
 */
export async function resultsPage(
  deps: Pick<LakeDeps, 'engine'>,
  record: ExecutionRecord,
  request: { pageSize?: number; pageToken?: string },
  options: ExecutionOptions,
): Promise<ResultsPage> {
  const pageSize = request.pageSize ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
    throw new ExecutionRequestError(
      'invalid',
      'invalid_page_size',
      `pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}`,
    );
  const status = await deps.engine.status(record.engineQueryId);
  if (status.state !== 'SUCCEEDED') {
    throw new ExecutionRequestError(
      'not_ready',
      'not_ready',
      `the execution is ${status.state}; results can be read once it has SUCCEEDED (GET /v1/executions/${record.executionId})`,
    );
  }
  const token = request.pageToken !== undefined ? decodeToken(record.executionId, request.pageToken) : { offset: 0 };
  const first = token.engine === undefined;
  // The first engine page starts with the header row: one more row is asked for, within the engine's page limit.
  const page: QueryResultPage = await deps.engine.results(record.engineQueryId, {
    pageSize: first ? Math.min(pageSize + 1, MAX_PAGE_SIZE) : pageSize,
    ...(token.engine !== undefined ? { nextToken: token.engine } : {}),
  });
  const named = getNamedQuery(record.query, record.version);
  const rawRows = first ? dataRowsOfFirstPage(page) : page.rows;
  const rows = rawRows.map((row) => named.columns.map((column, i) => typedCell(row[i] ?? null, column)));
  const suppressed = suppress(named, rows, token.offset, options.smallCellThreshold);
  return {
    executionId: record.executionId,
    columns: named.columns,
    rows,
    suppressed,
    ...(page.nextToken !== undefined
      ? {
          nextPageToken: encodeToken(record.executionId, {
            offset: token.offset + rows.length,
            engine: page.nextToken,
          }),
        }
      : {}),
  };
}

/** Every row of a SUCCEEDED execution, page by page (for downloads). */
export async function* allResultPages(
  deps: Pick<LakeDeps, 'engine'>,
  record: ExecutionRecord,
  options: ExecutionOptions,
): AsyncGenerator<ResultsPage> {
  let pageToken: string | undefined;
  do {
    const page = await resultsPage(deps, record, { ...(pageToken !== undefined ? { pageToken } : {}) }, options);
    yield page;
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
}
