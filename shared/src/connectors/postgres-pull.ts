/**
 * The `postgres` pull: reads a table or a query ordered by (cursor column,
 * key columns) and pages by keyset, so a page boundary never skips or repeats
 * a row, however many rows share a timestamp. The first run with no
 * `cursor.start` reads everything (a snapshot); each completed walk commits
 * the latest cursor value read, and the next walk asks for rows changed since
 * it, less the lookback. Each page lands as one raw JSONL object before the
 * position moves, so a crash re-reads at most the page in flight.
 */
import { canonicalJsonl, landRawJsonl } from '../ingest/land-raw-jsonl';
import type { PostgresPullConfig } from './database-config';
import type { DatabaseWalk } from './database-walk';
import { RunStopError } from './http';
import type { PostgresSession } from './postgres-session';
import { quoteIdentifier } from './postgres-session';
import type { PagePosition, StreamState } from './state';

/** The connector state's stream name for a pull. */
export const PULL_STREAM = 'rows';
/** What a snapshot starts after: every non-NULL timestamp. */
const BEFORE_EVERYTHING = '-infinity';
const CURSOR_ALIAS = '__lake_cursor';
const keyAlias = (i: number) => `__lake_key_${i}`;

type Keyset = Extract<PagePosition, { kind: 'keyset' }>;
type SourceRow = Record<string, string | null>;

/** The page query: the first page of a walk, or the page after a keyset position. */
export function pullPageSql(config: PostgresPullConfig, after: boolean): string {
  const from =
    'table' in config.source
      ? config.source.table.split('.').map(quoteIdentifier).join('.')
      : `(${config.source.query})`;
  const cursor = `s.${quoteIdentifier(config.cursor.column)}::timestamptz`;
  const keys = config.key.map((k) => `s.${quoteIdentifier(k)}`);
  const position = config.key.map((_, i) => `$${i + 3}`);
  return [
    `SELECT s.*, to_char(${cursor}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${CURSOR_ALIAS},`,
    `  ${keys.map((k, i) => `${k}::text AS ${keyAlias(i)}`).join(', ')}`,
    `FROM ${from} AS s`,
    `WHERE ${cursor} > $1::timestamptz`,
    ...(after ? [`  AND (${cursor}, ${keys.join(', ')}) > ($2::timestamptz, ${position.join(', ')})`] : []),
    `ORDER BY ${cursor}, ${keys.join(', ')}`,
    `LIMIT ${config.pageSize}`,
  ].join('\n');
}

/** Where a walk starts: the unfinished walk's start, the cursor less the lookback, the configured start, or everything. */
export function pullSince(config: PostgresPullConfig, saved: StreamState): string {
  if (saved.resume !== undefined) return saved.resume.since;
  if (saved.cursor === undefined) return config.cursor.start ?? BEFORE_EVERYTHING;
  if (config.cursor.lookbackMinutes === 0) return saved.cursor;
  return new Date(Date.parse(saved.cursor) - config.cursor.lookbackMinutes * 60_000).toISOString();
}

/** A source row as contract columns; NULLs are left out for the normalizer to judge. */
function mapRow(row: SourceRow, mapping: PostgresPullConfig['mapping']): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [column, source] of Object.entries(mapping)) {
    const value = typeof source === 'string' ? row[source] : source.const;
    if (value !== null && value !== undefined) out[column] = value;
  }
  return out;
}

/** Walks the source from the connector's checkpoint to its last page, within the run's row budget and deadline. */
export async function pullPostgres(
  walk: DatabaseWalk,
  config: PostgresPullConfig,
  session: PostgresSession,
): Promise<void> {
  const { state, result } = walk;
  const saved = state.streams[PULL_STREAM] ?? {};
  const since = pullSince(config, saved);
  let position = saved.resume?.position.kind === 'keyset' ? saved.resume.position : undefined;
  let highWater = saved.resume?.highWater ?? saved.cursor;
  let rowsThisRun = 0;
  for (let page = 1; ; page++) {
    if (rowsThisRun >= config.limits.maxRowsPerRun) throw new RunStopError('budget');
    if (Date.now() >= walk.deadline) throw new RunStopError('timeout');
    const params = position === undefined ? [since] : [since, position.cursor, ...position.key];
    result.requests += 1;
    const rows = await session.query<SourceRow>(
      pullPageSql(config, position !== undefined),
      params,
      `reading page ${page}`,
    );
    const last = rows.at(-1);
    if (last !== undefined) {
      const landed = await landRawJsonl(walk.deps, {
        dataset: config.dataset,
        source: 'connector',
        jsonl: canonicalJsonl(rows.map((r) => mapRow(r, config.mapping))),
        origin: { bucket: 'connector', key: `connectors/${config.name}/${PULL_STREAM}` },
      });
      result.landed.push({
        dataset: config.dataset,
        key: landed.raw.key,
        rows: rows.length,
        duplicate: landed.duplicate,
      });
      const next: Keyset = {
        kind: 'keyset',
        cursor: last[CURSOR_ALIAS] ?? '',
        key: config.key.map((_, i) => last[keyAlias(i)] ?? ''),
      };
      position = next;
      // Rows come in cursor order, as the same fixed-width UTC text: the page's last cursor is its latest.
      if (highWater === undefined || next.cursor > highWater) highWater = next.cursor;
    }
    result.pages += 1;
    result.records += rows.length;
    rowsThisRun += rows.length;
    if (rows.length < config.pageSize || position === undefined) {
      state.streams[PULL_STREAM] = highWater !== undefined ? { cursor: highWater } : {};
      await walk.commit();
      return;
    }
    state.streams[PULL_STREAM] = {
      ...(saved.cursor !== undefined ? { cursor: saved.cursor } : {}),
      resume: { since, position, ...(highWater !== undefined ? { highWater } : {}) },
    };
    await walk.commit();
  }
}
