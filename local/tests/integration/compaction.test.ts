/**
 * Compaction of a stream partition on the local lake: many micro-batch files
 * become one, while queries keep running and never see a reading missing or twice.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { vitals } from '@pulse-lake/shared/datasets/vitals';
import {
  compactPartition,
  DEFAULT_RETIRE_AFTER_MS,
  retireCompactedInputs,
} from '@pulse-lake/shared/operations/compaction';
import { partitionPrefix } from '@pulse-lake/shared/lake/keys';
import { lakeNames } from '@pulse-lake/shared/lake/names';
import { runToCompletion } from '@pulse-lake/shared/query/run';
import { latestVersionsSql } from '@pulse-lake/shared/query/scoping';
import type { RunningLake } from '../../src/runtime/runtime';
import { startLake } from '../../src/runtime/runtime';
import { cleanup, json, lake, tempDir } from './cli-helpers';

const BATCHES = 12;
const READINGS_PER_BATCH = 25;
const DAY = '2026-11-20';

describe('compaction of a stream partition', () => {
  let home: string;
  let inputs: string;
  let running: RunningLake;
  const names = lakeNames('local');
  const partitionFolder = () =>
    join(home, 's3', names.buckets.curated, partitionPrefix('curated', 'vitals', 'SG', DAY));
  const parquetFiles = async () => (await readdir(partitionFolder())).filter((f) => f.endsWith('.parquet'));
  const latest = latestVersionsSql('duckdb', names.databases.curated, vitals);

  /** What a reader of latest versions sees: readings, and the sum of their heart rates (a changed or doubled value shows). */
  async function readLatest(): Promise<{ readings: number; total: number }> {
    const result = await runToCompletion(
      running.lake.engine,
      `SELECT count(*), sum(heart_rate_bpm) FROM (${latest}) AS v WHERE dt = '${DAY}'`,
    );
    const [readings, total] = result.rows[0] ?? [];
    return { readings: Number(readings), total: Number(total) };
  }

  beforeAll(async () => {
    home = await tempDir('compaction-home');
    inputs = await tempDir('compaction-inputs');
    running = await startLake({ home, streamBatchWindowSeconds: 0 });
    // Twelve stream micro-batches into one partition; the last corrects a reading of the first.
    for (let batch = 0; batch < BATCHES; batch++) {
      const lines = Array.from({ length: READINGS_PER_BATCH }, (_, i) => {
        const minute = batch * READINGS_PER_BATCH + i;
        const at = new Date(Date.parse(`${DAY}T00:00:00Z`) + minute * 60_000).toISOString();
        return {
          type: 'vitals',
          patient_id: 'SG-MRN-80001',
          device_serial: 'PLW-80',
          site: 'SG',
          recorded_at: at,
          heart_rate_bpm: 60 + (minute % 20),
        };
      });
      if (batch === BATCHES - 1)
        lines.push({
          type: 'vitals',
          patient_id: 'SG-MRN-80001',
          device_serial: 'PLW-80',
          site: 'SG',
          recorded_at: `${DAY}T00:00:00.000Z`,
          heart_rate_bpm: 160,
        });
      const path = join(inputs, `batch-${batch}.jsonl`);
      await writeFile(path, lines.map((l) => JSON.stringify(l)).join('\n'));
      expect((await lake(home, ['telemetry', 'put', path])).code).toBe(0);
      await running.drain({ timeoutMs: 60_000 });
    }
  }, 180_000);

  afterAll(async () => {
    await running?.stop();
    await cleanup(home, inputs);
  });

  it('merges the small files into one while queries run, and readers never see a reading missing or twice', async () => {
    // Prepare
    const before = await readLatest();
    const filesBefore = await parquetFiles();
    // The correction replaced reading 0 (60 bpm) with 160.
    expect(before.readings).toBe(BATCHES * READINGS_PER_BATCH);
    const seen: { readings: number; total: number }[] = [];
    let querying = true;
    let readFailure: unknown;
    const reader = (async () => {
      while (querying) seen.push(await readLatest());
    })().catch((error: unknown) => {
      readFailure = error;
      querying = false;
    });

    // Act: merge (the inputs stay for their grace period), then retire them once it has passed, while the reader keeps reading.
    const record = await compactPartition(running.lake, vitals, 'SG', DAY, { minSmallFiles: 4 });
    const duringGrace = await retireCompactedInputs(running.lake, vitals);
    const afterGrace = { now: () => new Date(Date.now() + DEFAULT_RETIRE_AFTER_MS + 60_000) };
    const retired = await retireCompactedInputs({ ...running.lake, clock: afterGrace }, vitals);
    // A few more reads after the inputs went.
    const settled = seen.length;
    while (querying && seen.length < settled + 3) await new Promise((wake) => setTimeout(wake, 20));
    querying = false;
    await reader;
    // A query that listed an input just before it was deleted runs again on a fresh listing: no reader fails.
    expect(readFailure).toBeUndefined();

    // Assess
    expect(filesBefore.length).toBeGreaterThanOrEqual(BATCHES);
    expect(record?.inputs).toHaveLength(filesBefore.length);
    expect(duringGrace).toBe(0);
    expect(retired).toBe(filesBefore.length);
    expect(await parquetFiles()).toEqual([record?.outputs[0]?.key.split('/').pop()]);
    expect(seen.length).toBeGreaterThan(3);
    for (const read of seen) expect(read).toEqual(before);
    // The merge kept only the latest version of each reading: the table itself now holds each once.
    const plain = json<{ n: number; corrected: number }[]>(
      await lake(home, [
        'sql',
        `SELECT count(*)::INTEGER AS n, max(heart_rate_bpm)::INTEGER AS corrected FROM vitals WHERE dt = '${DAY}'`,
        '--format',
        'json',
      ]),
    );
    expect(plain).toEqual([{ n: BATCHES * READINGS_PER_BATCH, corrected: 160 }]);
    expect(record?.outputs[0]?.rows).toBe(BATCHES * READINGS_PER_BATCH);
  }, 120_000);

  it('leaves a partition with too few small files alone, and `lake compact` reports it', async () => {
    const run = await lake(home, ['compact', '--json']);
    expect(run.code).toBe(0);
    expect(json<{ merged: unknown[]; retired: number }>(run)).toEqual({ merged: [], retired: 0, skipped: 0 });
    expect(await compactPartition(running.lake, vitals, 'SG', DAY, { minSmallFiles: 2 })).toBeUndefined();
  });
});
