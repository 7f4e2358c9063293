/**
 * The `postgres-cdc` follower: logical replication with `pgoutput` from a
 * publication, read through the slot's SQL interface in batches that end on
 * transaction boundaries, so a scheduled run (a Lambda) needs no long-lived
 * replication connection. The slot is created on the first run and moved
 * (its confirmed flush LSN) only after the batch landed in raw and the
 * connector's state says so:
 *
 * 1. peek up to `pageSize` changes; record "landing up to LSN L" in the state;
 * 2. land inserts and updates as rows of the dataset (`<dataset>/connector/`),
 *    deletes and truncates as tombstones (`_connector_deletes/<dataset>/`);
 * 3. record L as landed, then advance the slot to L.
 *
 * A crash after 1 re-reads exactly the changes up to L (the same bytes, so the
 * raw objects are the ones already landed: nothing doubled); after 3's state
 * write the next run advances the slot first. The WAL the slot holds back is
 * measured every run and reported above `maxLagBytes`.
 *
 * Tombstone lines: `{ "op": "delete" | "truncate", "table": "schema.table",
 * "key": {source key columns}, "row": {contract columns mapped from the old
 * row}, "committed_at": ISO, "commit_lsn": "X/X", "connector": name }`;
 * `row` holds every mapped column only with REPLICA IDENTITY FULL.
 */
import { connectorDeletesKey } from '../lake/keys';
import { canonicalJsonl, landRawJsonl } from '../ingest/land-raw-jsonl';
import type { PostgresCdcConfig } from './database-config';
import type { DatabaseWalk } from './database-walk';
import { RunStopError } from './http';
import type { RowChange } from './pgoutput';
import { decodePgoutput } from './pgoutput';
import type { PostgresSession } from './postgres-session';
import { DatabaseConnectorError } from './postgres-session';

/** The connector state's stream name for a CDC follower. */
export const CDC_STREAM = 'changes';

type Mapping = PostgresCdcConfig['mapping'];

function mapRow(row: Record<string, string | null>, mapping: Mapping): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [column, source] of Object.entries(mapping)) {
    const value = typeof source === 'string' ? row[source] : source.const;
    if (value !== null && value !== undefined) out[column] = value;
  }
  return out;
}

function tombstone(config: PostgresCdcConfig, change: RowChange): Record<string, unknown> {
  const old = change.old ?? {};
  return {
    op: change.op,
    table: change.table,
    key: Object.fromEntries(config.key.filter((k) => k in old).map((k) => [k, old[k] ?? null])),
    row: mapRow(old, config.mapping),
    committed_at: change.committedAt,
    commit_lsn: change.commitLsn,
    connector: config.name,
  };
}

/** Peeks the slot's next changes: up to `pageSize` (ending on a commit), or exactly those up to `upto`. */
async function peek(
  session: PostgresSession,
  config: PostgresCdcConfig,
  upto: string | undefined,
): Promise<{ lsn: string; messages: Buffer[] }> {
  const rows = await session.query<{ lsn: string; data: string }>(
    `SELECT lsn::text AS lsn, encode(data, 'hex') AS data
     FROM pg_logical_slot_peek_binary_changes($1, $2::pg_lsn, $3, 'proto_version', '1', 'publication_names', $4)`,
    [config.slot, upto ?? null, upto === undefined ? config.pageSize : null, config.publication],
    'reading changes from the replication slot',
  );
  return { lsn: rows.at(-1)?.lsn ?? '', messages: rows.map((r) => Buffer.from(r.data, 'hex')) };
}

/** Moves the slot to `lsn` if it is behind it (a run that landed but crashed before moving it). */
async function advanceSlot(session: PostgresSession, config: PostgresCdcConfig, lsn: string): Promise<void> {
  await session.query(
    `SELECT pg_replication_slot_advance(slot_name, $2::pg_lsn) FROM pg_replication_slots
     WHERE slot_name = $1 AND confirmed_flush_lsn < $2::pg_lsn`,
    [config.slot, lsn],
    'advancing the replication slot',
  );
}

/** Creates the connector's slot on its first run; a slot of another plugin or database is refused. */
async function ensureSlot(session: PostgresSession, config: PostgresCdcConfig): Promise<void> {
  const [slot] = await session.query<{ plugin: string | null; database: string | null }>(
    'SELECT plugin, database FROM pg_replication_slots WHERE slot_name = $1',
    [config.slot],
    'looking up the replication slot',
  );
  if (slot === undefined) {
    await session.query(
      "SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
      [config.slot],
      'creating the replication slot',
    );
    return;
  }
  if (slot.plugin !== 'pgoutput' || slot.database !== config.connection.database)
    throw new DatabaseConnectorError(
      `connector ${config.name}: slot ${config.slot} exists for plugin ${slot.plugin} on database ${slot.database}; give the connector a slot of its own`,
    );
}

/** Follows the publication from the slot's position until no change is left, within the run's budget and deadline. */
export async function followPostgresChanges(
  walk: DatabaseWalk,
  config: PostgresCdcConfig,
  session: PostgresSession,
): Promise<void> {
  const { state, result } = walk;
  await ensureSlot(session, config);
  const landedUpTo = state.streams[CDC_STREAM]?.cursor;
  if (landedUpTo !== undefined) await advanceSlot(session, config, landedUpTo);
  let changesThisRun = 0;
  try {
    for (;;) {
      if (changesThisRun >= config.limits.maxRowsPerRun) throw new RunStopError('budget');
      if (Date.now() >= walk.deadline) throw new RunStopError('timeout');
      const saved = state.streams[CDC_STREAM] ?? {};
      const inflight = saved.resume?.position.kind === 'lsn' ? saved.resume.position.upto : undefined;
      result.requests += 1;
      const batch = await peek(session, config, inflight);
      if (batch.messages.length === 0) return;
      const base = saved.cursor !== undefined ? { cursor: saved.cursor } : {};
      state.streams[CDC_STREAM] = {
        ...base,
        resume: { since: saved.cursor ?? '', position: { kind: 'lsn', upto: batch.lsn } },
      };
      await walk.commit();
      const changes = decodePgoutput(batch.messages);
      const upserts = changes.filter((c) => c.row !== undefined && (c.op === 'insert' || c.op === 'update'));
      const removals = changes.filter((c) => c.op === 'delete' || c.op === 'truncate');
      const landings = [
        { rows: upserts.map((c) => mapRow(c.row ?? {}, config.mapping)), keyOf: undefined },
        {
          rows: removals.map((c) => tombstone(config, c)),
          keyOf: (hash: string) => connectorDeletesKey(config.dataset, hash),
        },
      ];
      for (const landing of landings) {
        if (landing.rows.length === 0) continue;
        const landed = await landRawJsonl(walk.deps, {
          dataset: config.dataset,
          source: 'connector',
          jsonl: canonicalJsonl(landing.rows),
          origin: { bucket: 'connector', key: `connectors/${config.name}/${CDC_STREAM}` },
          ...(landing.keyOf !== undefined ? { keyOf: landing.keyOf } : {}),
        });
        result.landed.push({
          dataset: config.dataset,
          key: landed.raw.key,
          rows: landing.rows.length,
          duplicate: landed.duplicate,
        });
      }
      state.streams[CDC_STREAM] = { cursor: batch.lsn };
      await walk.commit();
      result.requests += 1;
      await advanceSlot(session, config, batch.lsn);
      result.pages += 1;
      result.records += changes.length;
      changesThisRun += changes.length;
    }
  } finally {
    await reportLag(walk, config, session);
  }
}

/** Records the WAL the slot holds back; above `maxLagBytes` the run's reason says so, whatever its outcome. */
async function reportLag(walk: DatabaseWalk, config: PostgresCdcConfig, session: PostgresSession): Promise<void> {
  const [slot] = await session
    .query<{ lag: string | null }>(
      'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint::text AS lag FROM pg_replication_slots WHERE slot_name = $1',
      [config.slot],
      'measuring the slot lag',
    )
    .catch(() => []);
  if (slot?.lag === null || slot?.lag === undefined) return;
  const lagBytes = Number(slot.lag);
  const stream = walk.state.streams[CDC_STREAM] ?? {};
  walk.state.streams[CDC_STREAM] = { ...stream, lagBytes };
  if (lagBytes > config.maxLagBytes && walk.result.reason === undefined)
    walk.result.reason = `slot ${config.slot} holds back ${lagBytes} bytes of WAL on the source (more than maxLagBytes ${config.maxLagBytes}): run the connector more often or raise limits.maxRowsPerRun, or drop the slot if the lake no longer follows it`;
}
