/**
 * One run of a database connector, with the same lifecycle as the REST ones:
 * the run claims the connector with a lease written conditionally to its state
 * (an overlapping run finds it busy), reads page by page, lands each page as
 * one immutable raw object and only then moves the connector's position, and
 * records its outcome. A failure is the run's outcome, never a throw.
 */
import { randomUUID } from 'node:crypto';
import { SecretNotFoundError } from '../ports';
import type { DatabaseConnectorConfig } from './database-config';
import { RunStopError } from './http';
import { followPostgresChanges } from './postgres-cdc';
import { pullPostgres } from './postgres-pull';
import { DatabaseConnectorError, openPostgresSession } from './postgres-session';
import type { DatabaseConnectorDeps, DatabaseRunResult, DatabaseWalk } from './database-walk';
import type { ConnectorState, RunRecord } from './state';
import { commitConnectorState, ConnectorSupersededError, readConnectorState } from './state';

/** Time left to write the last checkpoint after the deadline. */
const LEASE_GRACE_MS = 60_000;

function describe(error: unknown): string {
  if (
    error instanceof DatabaseConnectorError ||
    error instanceof SecretNotFoundError ||
    error instanceof RunStopError ||
    error instanceof ConnectorSupersededError
  )
    return error.message;
  return `unexpected ${error instanceof Error ? error.name : 'non-error'}; the run stopped and the next one resumes from the last checkpoint`;
}

/** Runs a `postgres` or `postgres-cdc` connector once now; the source's failures are its recorded outcome. */
export async function runDatabaseConnector(
  deps: DatabaseConnectorDeps,
  config: DatabaseConnectorConfig,
  options: { deadline?: number } = {},
): Promise<DatabaseRunResult> {
  const deadline = Math.min(options.deadline ?? Infinity, Date.now() + config.limits.runTimeoutSeconds * 1000);
  const result: DatabaseRunResult = {
    connector: config.name,
    runId: randomUUID(),
    outcome: 'complete',
    pages: 0,
    records: 0,
    requests: 0,
    landed: [],
  };
  const now = () => deps.clock.now();
  const versioned = await readConnectorState(deps, config.name);
  const held = versioned.state.lastRun;
  if (held?.outcome === 'running' && Date.parse(held.leaseUntil) > now().getTime())
    return {
      ...result,
      outcome: 'busy',
      reason: `run ${held.runId} started at ${held.startedAt} holds the connector until ${held.leaseUntil}`,
    };
  const state: ConnectorState = structuredClone(versioned.state);
  const record: RunRecord = {
    runId: result.runId,
    startedAt: now().toISOString(),
    leaseUntil: new Date(now().getTime() + (deadline - Date.now()) + LEASE_GRACE_MS).toISOString(),
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
  const commit = async () => {
    Object.assign(record, { pages: result.pages, records: result.records, requests: result.requests });
    etag = await commitConnectorState(deps, state, etag);
  };

  try {
    const session = await openPostgresSession(config, deps.secrets);
    try {
      const walk: DatabaseWalk = { deps, state, result, deadline, commit };
      if (config.kind === 'postgres') await pullPostgres(walk, config, session);
      else await followPostgresChanges(walk, config, session);
    } finally {
      await session.close();
    }
  } catch (error) {
    result.outcome =
      error instanceof RunStopError ? 'partial' : error instanceof ConnectorSupersededError ? 'superseded' : 'failed';
    result.reason = describe(error);
  }
  if (result.outcome === 'superseded') return result;
  record.outcome = result.outcome as RunRecord['outcome'];
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
