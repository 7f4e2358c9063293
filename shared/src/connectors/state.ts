/**
 * A connector's state lives in the lake, `_state/connectors/<name>.json` in the
 * raw bucket, and every write is conditional on the ETag the writer last saw:
 * of two overlapping runs only one can commit, and the other stops. A run
 * commits only after the page it read is durable in the raw zone, so a crash
 * re-reads a page rather than skipping one.
 */
import type { LakeDeps } from '../ports';
import { NoSuchKeyError, PreconditionFailedError } from '../ports';
import { LAKE_STATE_PREFIX } from '../lake/keys';
import { readObjectText } from '../lake/objects';

/** Where the next request of an unfinished walk starts. */
export type PagePosition =
  | { kind: 'cursor'; cursor: string }
  | { kind: 'offset'; offset: number }
  | { kind: 'page'; page: number }
  | { kind: 'url'; url: string }
  /** A database pull's last row read: its cursor value and key columns, as text. */
  | { kind: 'keyset'; cursor: string; key: string[] }
  /** A CDC batch read up to this LSN and being landed: a restart re-reads exactly it. */
  | { kind: 'lsn'; upto: string };

export interface StreamState {
  /** The latest change datetime read in a completed walk: the next walk asks for changes since it, less the lookback. */
  cursor?: string;
  /** A walk that stopped part-way (timeout, request budget, failure): the next run continues it. */
  resume?: { since: string; position: PagePosition; highWater?: string };
  /** CDC: bytes of WAL the replication slot holds back on the source, at the end of the last run. */
  lagBytes?: number;
}

export type RunOutcome = 'running' | 'complete' | 'partial' | 'failed' | 'superseded';

export interface RunRecord {
  runId: string;
  startedAt: string;
  /** The time by which the run stops on its own; another run may take over after it. */
  leaseUntil: string;
  finishedAt?: string;
  outcome: RunOutcome;
  /** Why it stopped short, in words with no secret, URL query or record value. */
  reason?: string;
  pages: number;
  records: number;
  requests: number;
}

export interface ConnectorState {
  connector: string;
  /** One per stream: `records` for a REST connector, the resource type for FHIR. */
  streams: Record<string, StreamState>;
  lastRun?: RunRecord;
  lastSuccessAt?: string;
}

/** Another run committed since this one last read the state: this run must stop. */
export class ConnectorSupersededError extends Error {
  override name = 'ConnectorSupersededError';
  constructor(connector: string, options?: { cause?: unknown }) {
    super(
      `connector ${connector}: another run committed its state first; this run stops and leaves the connector to it`,
      options,
    );
  }
}

export function connectorStateKey(connector: string): string {
  return `${LAKE_STATE_PREFIX}connectors/${connector}.json`;
}

/** The state as last committed, with the ETag a conditional write must match; undefined ETag: never written. */
export interface VersionedState {
  state: ConnectorState;
  etag?: string;
}

export async function readConnectorState(
  deps: Pick<LakeDeps, 'store' | 'names'>,
  connector: string,
): Promise<VersionedState> {
  const bucket = deps.names.buckets.raw;
  const key = connectorStateKey(connector);
  // Head then get could pair one version's ETag with another's body: read the ETag first, then
  // verify it did not move, so a state is never committed over a version this run did not see.
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = await deps.store.head(bucket, key);
    if (before === undefined) return { state: { connector, streams: {} } };
    let text: string;
    try {
      text = await readObjectText(deps.store, bucket, key);
    } catch (error) {
      if (error instanceof NoSuchKeyError) continue;
      throw error;
    }
    const after = await deps.store.head(bucket, key);
    if (after?.etag === before.etag) return { state: JSON.parse(text) as ConnectorState, etag: before.etag };
  }
  throw new ConnectorSupersededError(connector);
}

/**
 * Writes `state` only if the stored version is still `etag` (or, with no ETag,
 * if there is none yet). Returns the new ETag; throws ConnectorSupersededError
 * when another writer got there first.
 */
export async function commitConnectorState(
  deps: Pick<LakeDeps, 'store' | 'names'>,
  state: ConnectorState,
  etag: string | undefined,
): Promise<string> {
  try {
    const written = await deps.store.put(
      deps.names.buckets.raw,
      connectorStateKey(state.connector),
      `${JSON.stringify(state, null, 2)}\n`,
      {
        contentType: 'application/json',
        ...(etag === undefined ? { ifNoneMatch: '*' as const } : { ifMatch: etag }),
      },
    );
    return written.etag;
  } catch (error) {
    if (error instanceof PreconditionFailedError) throw new ConnectorSupersededError(state.connector, { cause: error });
    throw error;
  }
}
