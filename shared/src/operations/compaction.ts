/**
 * Compaction: the small Parquet files of a curated partition (stream
 * micro-batches, mostly) are merged into files near a target size, in the same
 * partition folder, so the catalog and Athena see no change but fewer files.
 *
 * Readers never miss a row: the merged file is written (atomically, under a
 * deterministic `part-` name) before any input is touched, and the inputs are
 * deleted only after a grace period, once queries that listed them have
 * finished. Until then the partition holds each merged row twice with the
 * same lineage, which every latest-version read (named queries, and
 * `latestVersionsSql`) collapses to one, as it collapses at-least-once
 * deliveries. The merge keeps only the latest version of each record among
 * its inputs, which cannot change what a latest-version read returns.
 *
 * Each merge leaves a record, `_manifests/_compactions/<dataset>/site=<S>/dt=<D>/<hash>.json`
 * in the curated bucket: its inputs, its outputs and when the inputs retire.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DatasetContract } from '../datasets/contract';
import { curatedDedupeKey, LATEST_VERSION_ORDER } from '../datasets/contract';
import type { DuckDBInstance } from '@duckdb/node-api';
import { spillingDuckDb, sqlIdentifier as ident, sqlString as quote } from '../formats/parquet';
import type { LakeDeps } from '../ports';
import { NoSuchKeyError } from '../ports';
import { registeredPartitions } from '../catalog/table-definition';
import { DATASETS } from '../datasets/registry';
import { compactedPartKey, compactionRecordPrefix, partitionPrefix } from '../lake/keys';
import { readJsonIfPresent } from '../lake/objects';

export const DEFAULT_TARGET_BYTES = 128 * 1024 * 1024;
/** Fewer small files than this are not worth a merge. */
export const DEFAULT_MIN_SMALL_FILES = 8;
/** Longer than an Athena query may run by default (30 min): no query still reads an input when it goes. */
export const DEFAULT_RETIRE_AFTER_MS = 35 * 60_000;

export interface CompactionOptions {
  targetBytes?: number;
  minSmallFiles?: number;
  retireAfterMs?: number;
  /** Where inputs are downloaded and the merged file written (default os.tmpdir(), Lambda's /tmp). */
  workDir?: string;
}

export interface CompactionRecord {
  dataset: string;
  site: string;
  dt: string;
  inputs: string[];
  outputs: { key: string; rows: number; bytes: number }[];
  inputBytes: number;
  writtenAt: string;
  retireAfter: string;
  retiredAt?: string;
}

/** Record keys of a partition's merges, pending and done. */
async function recordsOf(
  deps: Pick<LakeDeps, 'store' | 'names'>,
  prefix: string,
): Promise<{ key: string; record: CompactionRecord }[]> {
  const out: { key: string; record: CompactionRecord }[] = [];
  for await (const item of deps.store.list(deps.names.buckets.curated, prefix)) {
    if (!item.key.endsWith('.json')) continue;
    const record = await readJsonIfPresent<CompactionRecord>(deps.store, deps.names.buckets.curated, item.key);
    if (record !== undefined) out.push({ key: item.key, record });
  }
  return out;
}

/**
 * Compaction's own DuckDB: the merge dedupes across every input at once, which
 * needs far more than the normalizer's 128 MB conversions; it spills past its cap.
 * `COMPACTION_MEMORY_MB` (default 1024) leaves the rest of a 3 GB Lambda to Node.
 */
let engine: Promise<DuckDBInstance> | undefined;
function compactionEngine(): Promise<DuckDBInstance> {
  const megabytes = Number(process.env.COMPACTION_MEMORY_MB ?? 1024);
  engine ??= spillingDuckDb({
    memoryLimit: `${Number.isFinite(megabytes) && megabytes > 0 ? megabytes : 1024}MB`,
    threads: 2,
    preserveInsertionOrder: false,
  });
  return engine;
}

/** Downloads `key` of the curated bucket to `path`. */
async function download(deps: Pick<LakeDeps, 'store' | 'names'>, key: string, path: string): Promise<void> {
  await pipeline(await deps.store.get(deps.names.buckets.curated, key), createWriteStream(path));
}

/**
 * Merges one bin of input files into one Parquet file at `out`: the latest
 * version of each record, ordered by event time so row-group statistics prune well.
 */
async function mergeFiles(contract: DatasetContract, inputs: readonly string[], out: string): Promise<number> {
  const key = curatedDedupeKey(contract).map(ident).join(', ');
  const order = LATEST_VERSION_ORDER.map((c) => `${ident(c)} DESC`).join(', ');
  const sortBy = contract.eventTimeColumn === undefined ? '' : ` ORDER BY ${ident(contract.eventTimeColumn)}`;
  const source = `read_parquet([${inputs.map(quote).join(', ')}], union_by_name = true)`;
  const latest = `SELECT * EXCLUDE (_pl_rn) FROM (SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY ${order}) AS _pl_rn FROM ${source}) WHERE _pl_rn = 1${sortBy}`;
  const connection = await (await compactionEngine()).connect();
  try {
    const result = await connection.runAndReadAll(
      `COPY (${latest}) TO ${quote(out)} (FORMAT PARQUET, COMPRESSION zstd)`,
    );
    return Number(result.getRows()[0]?.[0] ?? 0);
  } finally {
    connection.closeSync();
  }
}

/**
 * Compacts one partition when it has enough small files: bins of inputs near
 * the target size, each merged into one file; returns the record written, or
 * undefined when there was nothing worth merging.
 */
export async function compactPartition(
  deps: Pick<LakeDeps, 'store' | 'names' | 'clock'>,
  contract: DatasetContract,
  site: string,
  dt: string,
  options: CompactionOptions = {},
): Promise<CompactionRecord | undefined> {
  const targetBytes = options.targetBytes ?? DEFAULT_TARGET_BYTES;
  const bucket = deps.names.buckets.curated;
  // Inputs of a merge not yet retired are spoken for: merging them again would only copy them twice.
  const pending = new Set(
    (await recordsOf(deps, compactionRecordPrefix(contract.name, { site, dt })))
      .filter((r) => r.record.retiredAt === undefined)
      .flatMap((r) => [...r.record.inputs, ...r.record.outputs.map((o) => o.key)]),
  );
  const small: { key: string; size: number }[] = [];
  for await (const item of deps.store.list(bucket, partitionPrefix(contract.stage, contract.name, site, dt))) {
    if (item.key.endsWith('.parquet') && item.size < targetBytes / 2 && !pending.has(item.key))
      small.push({ key: item.key, size: item.size });
  }
  if (small.length < (options.minSmallFiles ?? DEFAULT_MIN_SMALL_FILES)) return undefined;

  const bins: { key: string; size: number }[][] = [[]];
  let binBytes = 0;
  for (const file of small) {
    const bin = bins[bins.length - 1] as { key: string; size: number }[];
    if (bin.length > 0 && binBytes + file.size > targetBytes) {
      bins.push([file]);
      binBytes = file.size;
    } else {
      bin.push(file);
      binBytes += file.size;
    }
  }
  // Named by its inputs: a retried compaction writes the same keys again.
  const hash = createHash('sha256')
    .update(small.map((f) => f.key).join('\n'))
    .digest('hex');
  const work = await mkdtemp(join(options.workDir ?? tmpdir(), 'pulse-lake-compact-'));
  const outputs: CompactionRecord['outputs'] = [];
  try {
    for (const [index, bin] of bins.entries()) {
      const paths: string[] = [];
      for (const [i, file] of bin.entries()) {
        const path = join(work, `in-${i}.parquet`);
        try {
          await download(deps, file.key, path);
        } catch (error) {
          // Gone since the listing (a concurrent compaction retired it): the partition is merged next time.
          if (error instanceof NoSuchKeyError) return undefined;
          throw error;
        }
        paths.push(path);
      }
      const out = join(work, `out-${index}.parquet`);
      const rows = await mergeFiles(contract, paths, out);
      const key = compactedPartKey(contract.stage, contract.name, site, dt, hash, index);
      await deps.store.putFile(bucket, key, out, { contentType: 'application/vnd.apache.parquet' });
      outputs.push({ key, rows, bytes: (await stat(out)).size });
      for (const path of [...paths, out]) await rm(path, { force: true });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const now = deps.clock.now();
  const record: CompactionRecord = {
    dataset: contract.name,
    site,
    dt,
    inputs: small.map((f) => f.key),
    outputs,
    inputBytes: small.reduce((sum, f) => sum + f.size, 0),
    writtenAt: now.toISOString(),
    retireAfter: new Date(now.getTime() + (options.retireAfterMs ?? DEFAULT_RETIRE_AFTER_MS)).toISOString(),
  };
  await deps.store.put(
    bucket,
    `${compactionRecordPrefix(contract.name, { site, dt })}${hash}.json`,
    JSON.stringify(record, null, 2),
    { contentType: 'application/json' },
  );
  return record;
}

/** Deletes the inputs of every merge whose grace period is over and whose outputs are all in place; returns how many files went. */
export async function retireCompactedInputs(
  deps: Pick<LakeDeps, 'store' | 'names' | 'clock'>,
  contract: DatasetContract,
): Promise<number> {
  const bucket = deps.names.buckets.curated;
  const now = deps.clock.now();
  let deleted = 0;
  for (const { key, record } of await recordsOf(deps, compactionRecordPrefix(contract.name))) {
    if (record.retiredAt !== undefined || new Date(record.retireAfter) > now) continue;
    const outputsInPlace = await Promise.all(
      record.outputs.map(async (o) => (await deps.store.head(bucket, o.key)) !== undefined),
    );
    // Never delete inputs whose merged copy is missing: that would lose rows.
    if (!outputsInPlace.every(Boolean)) continue;
    for (const input of record.inputs) {
      if (record.outputs.some((o) => o.key === input)) continue;
      await deps.store.delete(bucket, input);
      deleted++;
    }
    await deps.store.put(bucket, key, JSON.stringify({ ...record, retiredAt: now.toISOString() }, null, 2), {
      contentType: 'application/json',
    });
  }
  return deleted;
}

export interface LakeCompaction {
  merged: CompactionRecord[];
  retired: number;
  /** Partitions left for the next run because the deadline came. */
  skipped: number;
}

/**
 * The scheduled job: retires what is due, then compacts every catalog partition
 * of every dataset that has enough small files, until `deadline` (a Lambda's
 * remaining time); the rest waits for the next run.
 */
export async function compactLake(
  deps: Pick<LakeDeps, 'store' | 'names' | 'clock' | 'catalog'>,
  options: CompactionOptions & { deadline?: number } = {},
): Promise<LakeCompaction> {
  const merged: CompactionRecord[] = [];
  let retired = 0;
  let skipped = 0;
  for (const contract of DATASETS) {
    retired += await retireCompactedInputs(deps, contract);
    for (const partition of await registeredPartitions(deps.catalog, deps.names, contract)) {
      const [site, dt] = partition.Values;
      if (site === undefined || dt === undefined) continue;
      if (options.deadline !== undefined && Date.now() > options.deadline) {
        skipped++;
        continue;
      }
      const record = await compactPartition(deps, contract, site, dt, options);
      if (record !== undefined) merged.push(record);
    }
  }
  return { merged, retired, skipped };
}

/** `COMPACTION_TARGET_MB` and `COMPACTION_RETIRE_AFTER_MINUTES` from the function's environment, when set. */
export function compactionOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): CompactionOptions {
  const number = (name: string): number | undefined => {
    const text = env[name];
    if (text === undefined || text.trim() === '') return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`${name} must be a non-negative number, got ${JSON.stringify(text)}`);
    return value;
  };
  const targetMb = number('COMPACTION_TARGET_MB');
  const retireMinutes = number('COMPACTION_RETIRE_AFTER_MINUTES');
  return {
    ...(targetMb !== undefined ? { targetBytes: targetMb * 1024 * 1024 } : {}),
    ...(retireMinutes !== undefined ? { retireAfterMs: retireMinutes * 60_000 } : {}),
  };
}
