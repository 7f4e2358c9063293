/**
 * One connector run: claim the connector (a conditional write of its state),
 * then for each stream read page after page, land each page's rows as one
 * immutable raw object, and only then commit the next page position. A run
 * stops at its deadline or request budget with a checkpoint that the next run
 * continues from; a walk that reaches its last page advances the cursor.
 */
import { randomUUID } from 'node:crypto';
import type { LakeDeps } from '../ports';
import type { ConnectorSource } from './connector-files';
import { SecretNotFoundError } from '../ports';
import { canonicalJsonl, landRawJsonl } from '../ingest/land-raw-jsonl';
import { nextFireTime } from '../schedules/schedule-expressions';
import type { ConnectorConfig, HttpConnectorConfig } from './config';
import type { HttpDeps } from './http';
import { ConnectorHttpError, ConnectorSession, RunStopError, systemHttp } from './http';
import type { ConnectorState, RunOutcome, RunRecord, StreamState } from './state';
import { commitConnectorState, ConnectorSupersededError, readConnectorState } from './state';
import type { Stream } from './streams';
import { streamsOf } from './streams';
import { runDatabaseConnector } from './run-database-connector';

export type ConnectorDeps = Pick<LakeDeps, 'store' | 'names' | 'clock' | 'secrets'> & {
  /** The HTTP client, sleep and time the run uses (tests pass recording ones). */
  http?: HttpDeps;
};

/** A run's own errors (and the ports') carry messages written for operators; anything else is named only. */
const EXPLAINED_ERRORS = [ConnectorHttpError, SecretNotFoundError];

/** Time left to write the last checkpoint after the deadline's last request. */
const LEASE_GRACE_MS = 60_000;

export interface ConnectorRunResult {
  connector: string;
  runId: string;
  /** busy: another run holds the connector, nothing was done. */
  outcome: Exclude<RunOutcome, 'running'> | 'busy';
  reason?: string;
  pages: number;
  records: number;
  requests: number;
  /** Raw objects this run landed (or found already landed), by content hash: no names, no values. */
  landed: { dataset: string; key: string; rows: number; duplicate: boolean }[];
}

export interface RunOptions {
  /** Epoch ms by which the run stops (default: now + the connector's run timeout; a Lambda passes its own remaining time). */
  deadline?: number;
}

function describe(error: unknown): string {
  if (
    EXPLAINED_ERRORS.some((kind) => error instanceof kind) ||
    error instanceof RunStopError ||
    error instanceof ConnectorSupersededError
  )
    return (error as Error).message;
  // Unknown errors may quote a URL or a body: only their kind is recorded.
  return `unexpected ${error instanceof Error ? error.name : 'non-error'}; the run stopped and the next one resumes from the last checkpoint`;
}

function sinceOf(config: HttpConnectorConfig, stream: StreamState): string {
  if (stream.resume !== undefined) return stream.resume.since;
  if (stream.cursor === undefined) return config.incremental.start;
  return new Date(Date.parse(stream.cursor) - config.incremental.lookbackMinutes * 60_000).toISOString();
}

const later = (a: string | undefined, b: string | undefined) =>
  a === undefined ? b : b === undefined ? a : Date.parse(b) > Date.parse(a) ? b : a;

/** Runs `config` once now. Never throws for the source's failures: they are its outcome, recorded in its state. */
export async function runConnector(
  deps: ConnectorDeps,
  config: ConnectorConfig,
  options: RunOptions = {},
): Promise<ConnectorRunResult> {
  if ('connection' in config) return runDatabaseConnector(deps, config, options);
  const http = deps.http ?? systemHttp;
  const deadline = Math.min(options.deadline ?? Infinity, http.now() + config.limits.runTimeoutSeconds * 1000);
  const runId = randomUUID();
  const result: ConnectorRunResult = {
    connector: config.name,
    runId,
    outcome: 'complete',
    pages: 0,
    records: 0,
    requests: 0,
    landed: [],
  };

  const versioned = await readConnectorState(deps, config.name);
  const now = () => deps.clock.now();
  const held = versioned.state.lastRun;
  if (held?.outcome === 'running' && Date.parse(held.leaseUntil) > now().getTime()) {
    return {
      ...result,
      outcome: 'busy',
      reason: `run ${held.runId} started at ${held.startedAt} holds the connector until ${held.leaseUntil}`,
    };
  }
  const state: ConnectorState = structuredClone(versioned.state);
  const record: RunRecord = {
    runId,
    startedAt: now().toISOString(),
    leaseUntil: new Date(now().getTime() + (deadline - http.now()) + LEASE_GRACE_MS).toISOString(),
    outcome: 'running',
    pages: 0,
    records: 0,
    requests: 0,
  };
  state.lastRun = record;
  let etag: string;
  try {
    etag = await commitConnectorState(deps, state, versioned.etag);
  } catch (error) {
    if (error instanceof ConnectorSupersededError)
      return { ...result, outcome: 'busy', reason: 'another run claimed the connector at the same moment' };
    throw error;
  }

  const session = new ConnectorSession(config, deps.secrets, http, deadline);
  const commit = async () => {
    Object.assign(record, { pages: result.pages, records: result.records, requests: session.requests });
    etag = await commitConnectorState(deps, state, etag);
  };
  try {
    for (const stream of streamsOf(config)) await walk(deps, config, stream, session, state, result, commit);
  } catch (error) {
    result.outcome =
      error instanceof RunStopError ? 'partial' : error instanceof ConnectorSupersededError ? 'superseded' : 'failed';
    result.reason = describe(error);
  }
  result.requests = session.requests;
  const outcome = result.outcome;
  if (outcome === 'superseded' || outcome === 'busy') return result;
  record.outcome = outcome;
  record.finishedAt = now().toISOString();
  if (result.reason !== undefined) record.reason = result.reason;
  if (result.outcome === 'complete') state.lastSuccessAt = record.finishedAt;
  try {
    await commit();
  } catch (error) {
    if (!(error instanceof ConnectorSupersededError)) throw error;
    return { ...result, outcome: 'superseded', reason: describe(error) };
  }
  return result;
}

/** Reads one stream from its checkpoint to its last page, committing after every landed page. */
async function walk(
  deps: ConnectorDeps,
  config: HttpConnectorConfig,
  stream: Stream,
  session: ConnectorSession,
  state: ConnectorState,
  result: ConnectorRunResult,
  commit: () => Promise<void>,
): Promise<void> {
  const saved = state.streams[stream.name] ?? {};
  const since = sinceOf(config, saved);
  let position = saved.resume?.position;
  let highWater = saved.resume?.highWater ?? saved.cursor;
  for (let page = 1; ; page++) {
    const read = await stream.readPage(session, since, position, `page ${page} of ${config.name}/${stream.name}`);
    // The page is durable in the raw zone before its position is committed: a crash in between re-reads it.
    for (const landing of read.landings) {
      const landed = await landRawJsonl(deps, {
        dataset: landing.dataset,
        source: 'connector',
        jsonl: canonicalJsonl(landing.rows),
        origin: { bucket: 'connector', key: `connectors/${config.name}/${stream.name}` },
      });
      result.landed.push({
        dataset: landing.dataset,
        key: landed.raw.key,
        rows: landing.rows.length,
        duplicate: landed.duplicate,
      });
    }
    result.pages += 1;
    result.records += read.read;
    highWater = later(highWater, read.highWater);
    if (read.next === undefined) {
      state.streams[stream.name] = highWater !== undefined ? { cursor: highWater } : {};
      await commit();
      return;
    }
    state.streams[stream.name] = {
      ...(saved.cursor !== undefined ? { cursor: saved.cursor } : {}),
      resume: { since, position: read.next, ...(highWater !== undefined ? { highWater } : {}) },
    };
    await commit();
    position = read.next;
  }
}

/** True when `config`'s schedule has fired since its last run started (or it never ran). */
export function isDue(config: ConnectorConfig, lastRun: RunRecord | undefined, now: Date): boolean {
  if (lastRun === undefined) return true;
  return nextFireTime(config.schedule, new Date(lastRun.startedAt)).getTime() <= now.getTime();
}

export interface DispatchResult {
  runs: ConnectorRunResult[];
  /** Connector files that could not be used. */
  problems: string[];
}

/**
 * The scheduled dispatcher: runs, side by side, every connector whose schedule
 * is due, each until `deadline` at the latest.
 */
export async function runDueConnectors(
  deps: ConnectorDeps & { connectors: ConnectorSource },
  options: RunOptions = {},
): Promise<DispatchResult> {
  const { connectors, problems } = await deps.connectors.load();
  const now = deps.clock.now();
  const due: ConnectorConfig[] = [];
  for (const config of connectors)
    if (isDue(config, (await readConnectorState(deps, config.name)).state.lastRun, now)) due.push(config);
  // One connector's infrastructure failure (its state could not be written) must not hide the others' outcomes.
  const runs = await Promise.all(
    due.map((config) =>
      runConnector(deps, config, options).catch(
        (error: unknown): ConnectorRunResult => ({
          connector: config.name,
          runId: '-',
          outcome: 'failed',
          reason: describe(error),
          pages: 0,
          records: 0,
          requests: 0,
          landed: [],
        }),
      ),
    ),
  );
  return { runs, problems };
}
