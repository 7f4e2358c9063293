import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { LocalLake } from '../../../src/adapters/local/index';
import { buildLocalLake } from '../../../src/adapters/local/index';
import { landDroppedObject } from '../../../src/ingest/land-dropped-object';
import { readFileManifest } from '../../../src/lake/manifest';
import type { NormalizeChunkMessage } from '../../../src/lake/messages';
import { PARTITIONS_WRITTEN } from '../../../src/lake/messages';
import { planRawObject } from '../../../src/ingest/plan-raw-object';
import type { ChunkOutcome } from '../../../src/normalize/normalize-chunk';
import { normalizeChunk } from '../../../src/normalize/normalize-chunk';
import type { LakeEvent } from '../../../src/ports';

/** ~2,000 vitals rows with what makes cutting hard: quoted comments spanning lines, CRLF, blank lines, bad rows. */
function awkwardVitals(): string {
  const lines = ['patient_id,device_serial,recorded_at,site,heart_rate_bpm,spo2_pct,comment'];
  for (let i = 0; i < 2_000; i++) {
    const at = new Date(Date.UTC(2024, 2, 1 + (i % 3), 8, 0, i % 60) + i * 60_000).toISOString();
    const comment = i % 7 === 0 ? `"felt dizzy,\r\nthen ""fine""\nlater"` : i % 5 === 0 ? '' : 'ok';
    const hr = i % 50 === 0 ? '900' : String(60 + (i % 40));
    lines.push(
      `P-${1000 + (i % 90)},SN-${7000 + (i % 90)},${at},${i % 2 ? 'SG' : 'US'},${hr},${95 + (i % 5)},${comment}`,
    );
    if (i % 97 === 0) lines.push('');
    if (i % 131 === 0) lines.push(`P-1,SN-1,${at},SG,70`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

describe('a CSV larger than the chunk size', () => {
  let db: DuckDBInstance;
  const homes: string[] = [];
  const csv = awkwardVitals();

  beforeAll(async () => {
    db = await DuckDBInstance.create(':memory:');
  });
  afterAll(() => {
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  /** Drops the file into a fresh lake, plans it with `chunkBytes`, and runs every queued chunk (in reverse, as parallel workers may finish). */
  async function ingest(chunkBytes: number) {
    const home = mkdtempSync(join(tmpdir(), 'pulse-chunked-it-'));
    homes.push(home);
    const lake: LocalLake = buildLocalLake(home, { clock: { now: () => new Date('2024-03-05T00:00:00Z') } });
    const published: LakeEvent[] = [];
    const deps = { ...lake, bus: { publish: async (events: LakeEvent[]) => void published.push(...events) } };
    try {
      await lake.store.put(lake.names.buckets.dropzone, 'vitals/big export.csv', csv);
      const landing = await landDroppedObject(lake, {
        bucket: lake.names.buckets.dropzone,
        key: 'vitals/big export.csv',
      });
      if (landing.outcome !== 'landed') throw new Error(`not landed: ${landing.outcome}`);
      const plan = await planRawObject(lake, landing.landings[0]!.raw, { chunkBytes });
      const messages = (await lake.queue.list(lake.names.queues.normalize))
        .map((m) => JSON.parse(m.body) as NormalizeChunkMessage)
        .sort((a, b) => a.chunk.index - b.chunk.index);
      const outcomes: ChunkOutcome[] = [];
      for (const message of [...messages].reverse()) outcomes.push(await normalizeChunk(deps, message));
      // A redelivered chunk overwrites its own outputs.
      const again = messages[1] ?? messages[0];
      if (again !== undefined) await normalizeChunk(deps, again);
      const manifest = await readFileManifest(lake.store, lake.names, 'vitals', plan.contentHash);
      const connection = await db.connect();
      const glob = join(home, 's3', lake.names.buckets.curated, 'curated/vitals/*/*/*.parquet');
      const rows = (
        await connection.runAndReadAll(
          `SELECT site, dt, patient_token, device_token, epoch_ms(recorded_at) AS at, heart_rate_bpm, spo2_pct, _source_line::INTEGER AS line
           FROM read_parquet('${glob}', hive_partitioning = true) ORDER BY line`,
        )
      ).getRowObjectsJson();
      connection.closeSync();
      // Each lake has its own key: compare tokens by which patient they are, not by value.
      const ordinals = new Map<unknown, number>();
      const ordinal = (token: unknown) =>
        ordinals.get(token) ?? (ordinals.set(token, ordinals.size), ordinals.size - 1);
      for (const row of rows)
        Object.assign(row, { patient_token: ordinal(row.patient_token), device_token: ordinal(row.device_token) });
      const rejects = outcomes
        .flatMap((o) =>
          o.rejectsKey
            ? readFileSync(join(home, 's3', lake.names.buckets.rejects, o.rejectsKey), 'utf8')
                .trim()
                .split('\n')
            : [],
        )
        .map((line) => JSON.parse(line) as { line: number; physicalLine: number; rule: string })
        .map((r) => [r.line, r.physicalLine, r.rule])
        .sort((a, b) => Number(a[0]) - Number(b[0]));
      return { plan, messages, outcomes, manifest, rows, rejects, published };
    } finally {
      await lake.close();
    }
  }

  it('is cut into record-aligned chunks whose rows, line numbers and rejects are exactly those of one whole-file pass', async () => {
    // Act
    const whole = await ingest(10 * 1024 * 1024);
    const chunked = await ingest(16 * 1024);

    // Assess: the split
    expect(whole.plan.chunks).toBe(1);
    expect(chunked.plan.chunks).toBe(Math.ceil(Buffer.byteLength(csv) / (16 * 1024)));
    expect(
      chunked.messages.slice(1).every((m) => m.chunk.continues !== undefined && m.chunk.csv?.delimiter === ','),
    ).toBe(true);

    // Assess: the same rows (no in-file duplicates here), the same line numbers, the same rejects
    expect(chunked.rows).toHaveLength(whole.rows.length);
    expect(chunked.rows).toEqual(whole.rows);
    expect(chunked.rejects).toEqual(whole.rejects);
    expect(whole.rejects.length).toBeGreaterThan(40);
    const sum = (outcomes: ChunkOutcome[], field: 'rowsIn' | 'rowsWritten' | 'rowsRejected') =>
      outcomes.reduce((total, o) => total + o[field], 0);
    expect(sum(chunked.outcomes, 'rowsIn')).toBe(sum(whole.outcomes, 'rowsIn'));
    expect(sum(chunked.outcomes, 'rowsRejected')).toBe(sum(whole.outcomes, 'rowsRejected'));

    // Assess: done once every chunk is, and announced once, with every partition
    expect(chunked.manifest).toMatchObject({ status: 'complete', chunkCount: chunked.plan.chunks });
    const announcements = chunked.published.filter((e) => e.detailType === PARTITIONS_WRITTEN);
    expect(announcements).toHaveLength(1);
    const partitionsOf = (events: LakeEvent[]) =>
      (events.find((e) => e.detailType === PARTITIONS_WRITTEN)?.detail as { partitions: unknown[] } | undefined)
        ?.partitions;
    expect(partitionsOf(chunked.published)).toEqual(partitionsOf(whole.published));
    expect(partitionsOf(chunked.published)?.length).toBeGreaterThan(4);
    expect(chunked.outcomes.filter((o) => o.fileComplete)).toHaveLength(1);
  });
});
