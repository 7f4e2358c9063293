/**
 * The `lake` CLI: run the embedded lake (`up`), push files through it once
 * (`ingest`), and look at what it holds (`sql`, `query`). Every command honours
 * LAKE_HOME (default ./.lake) and LAKE_PORT (default 3000).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { buildLocalLake } from '@pulse-lake/shared/adapters/local/index';
import type { StreamFailureRecord } from '../runtime/event-sources/stream-failure-record';
import { DEFAULT_REGION, lakeNames } from '@pulse-lake/shared/lake/names';
import { lakeStatus } from '@pulse-lake/shared/operations/lake-status';
import { reconcileRawObjects } from '@pulse-lake/shared/operations/reconcile';
import { catalogReport } from '@pulse-lake/shared/catalog/catalog-report';
import { promoteDataset, PromoteError } from '@pulse-lake/shared/catalog/promote';
import type { NormalizeChunkMessage } from '@pulse-lake/shared/lake/messages';
import { DEFAULT_CHUNK_BYTES, planOptionsFromEnv } from '@pulse-lake/shared/ingest/plan-raw-object';
import { formatOfExtension } from '@pulse-lake/shared/ingest/land-dropped-object';
import { extensionOf } from '@pulse-lake/shared/lake/keys';
import { DATASETS, findContract } from '@pulse-lake/shared/datasets/registry';
import { getNamedQuery } from '@pulse-lake/shared/query/named-queries';
import { renderNamedQuery } from '@pulse-lake/shared/query/render';
import { runToCompletion } from '@pulse-lake/shared/query/run';
import { generateFleet } from '../demo/fleet';
import { startDeviceSimulator } from '../demo/device-simulator';
import { addPartnerKey, curlCommand, demoCredentials } from './partners';
import { putTelemetryItems, readTelemetryItems } from './telemetry';
import { TELEMETRY_KEY } from '@pulse-lake/shared/lake/telemetry-items';
import { datasetFreshness } from '@pulse-lake/shared/operations/freshness';
import { compactLake } from '@pulse-lake/shared/operations/compaction';
import { buildLocalPartnerRegistry } from '@pulse-lake/shared/adapters/local/index';
import { PARTNER_ID } from '@pulse-lake/shared/auth/partners';
import { SIGNING_SERVICE } from '@pulse-lake/shared/auth/signed-requests';
import type { RunningLake } from '../runtime/runtime';
import { startLake } from '../runtime/runtime';
import type { ResultFormat as OutputFormat, ResultSet } from '@pulse-lake/shared/query/format';
import { formatResult, resultObjects } from '@pulse-lake/shared/query/format';
import { runConnector } from '@pulse-lake/shared/connectors/run-connector';
import type { ConnectorRunResult } from '@pulse-lake/shared/connectors/run-connector';
import type { DemoConnectors } from './connectors';
import { listConnectors, startDemoConnectors } from './connectors';
import type { FileOutcome } from './outcomes';
import { fileOutcomes, isProcessed, sha256File } from './outcomes';

/** Where the CLI writes and what it reads from its environment; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Progress goes to stderr only when it is a terminal. */
  stderrIsTTY: boolean;
  /** Resolves when the user asks `lake up` to stop (Ctrl-C). */
  untilStopped: () => Promise<void>;
}

const LOCAL_STAGE = 'local';

const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  stderrIsTTY: process.stderr.isTTY === true,
  untilStopped: () =>
    new Promise<void>((resolveStop) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolveStop();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    }),
};

const USAGE = `Usage: lake <command>

  lake up [--demo] [--patients N] [--days N] [--workers N] [--readings-per-second N]
      Run the whole lake on this machine. --demo generates a synthetic fleet, drops its files in,
      then keeps its wearables writing readings into the telemetry table (default one per device per 10 s).
  lake ingest <file>... [--dataset NAME] [--json] [--workers N]
      Push files through the lake once and report rows in / written / rejected per file.
  lake status [--json]
      Per dataset: files, rows in / written / rejected, reject rate, partitions, last ingest, quarantined files,
      and freshness: the newest queryable reading and its age.
  lake dlq list [--json]
      Chunks that failed every retry, parked in the normalize queue's dead-letter queue, and telemetry
      stream batches given up on (their shard and sequence range).
  lake dlq redrive
      Sends them back to the normalize queue (after the cause is fixed); lake up then retries them.
  lake promote <dataset>
      Moves a staging dataset, once its contract says stage: 'curated', to curated without re-ingesting it.
  lake catalog [--json]
      Databases, tables, columns with types and PII class, partitions, files and sizes: what Athena sees.
  lake sql "<SQL>" [--format table|json|csv]
      Analyst access to the curated tables (never raw).
  lake query <name> --partner <id> [--param k=v]... [--format table|json|csv]
      Run a named partner query, scoped to the partner's patients.
  lake partners add <id> [--datasets vitals,dosage]
      Make a key pair for a partner or gateway; prints it once (JSON). Requests to the API are signed with it.
  lake partners list [--json]
      Partners and their access key ids (never the secrets).
  lake compact [--retire-after-minutes N] [--json]
      Merge the small Parquet files of curated partitions (what the hourly job does); merged inputs
      are deleted N minutes later (default 35), by a later run, once no query can still be reading them.
  lake telemetry put <file.jsonl>
      Write device readings into the telemetry table, as devices do; its stream feeds the lake
      (lake up must run for them to land). A line is a table item (pk, sk) or a reading with its type.
  lake connectors list [--json]
      Connectors (one file each in $LAKE_HOME/connectors/): schedule, cursor, last run and its outcome, next run.
  lake connectors run <name> [--json]
      Runs one connector now and normalizes what it landed.

--workers N: normalizer processes running chunks in parallel (0 = in the CLI's own process).
  Default for up: the number of cores; for ingest: as many as the files have 64 MiB chunks, up to
  the number of cores (so small files start no process).

Environment: LAKE_HOME (default ./.lake), LAKE_PORT (default 3000), LAKE_WORKERS (as --workers),
  NORMALIZE_CHUNK_MIB (size of the chunks a large CSV is cut into; default 64).
`;

/** A command line the CLI cannot act on; printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

function lakeHome(io: CliIo): string {
  return resolve(io.cwd, io.env.LAKE_HOME ?? '.lake');
}

function lakePort(io: CliIo): number {
  const text = io.env.LAKE_PORT ?? '3000';
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`LAKE_PORT must be a port number 0..65535, not "${text}"`);
  return port;
}

/** --workers, else LAKE_WORKERS, else `fallback`: a whole number of at least 0. */
function workerCount(io: CliIo, flag: string | undefined, fallback: number): number {
  const text = flag ?? io.env.LAKE_WORKERS;
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 64)
    throw new UsageError(`--workers (or LAKE_WORKERS) must be a whole number 0..64, not "${text}"`);
  return n;
}

function parseFormat(value: string | undefined): OutputFormat {
  const format = value ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'csv')
    throw new UsageError(`--format must be table, json or csv, not "${format}"`);
  return format;
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${name} must be a whole number of at least 1, not "${value}"`);
  return n;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : 'an unexpected non-error was thrown');

/** Runs the `lake` CLI; resolves to the process exit code. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'up':
        return await up(rest, io);
      case 'ingest':
        return await ingest(rest, io);
      case 'status':
        return await status(rest, io);
      case 'dlq':
        return await dlq(rest, io);
      case 'sql':
        return await sql(rest, io);
      case 'query':
        return await query(rest, io);
      case 'partners':
        return await partners(rest, io);
      case 'catalog':
        return await catalog(rest, io);
      case 'promote':
        return await promote(rest, io);
      case 'telemetry':
        return await telemetry(rest, io);
      case 'compact':
        return await compact(rest, io);
      case 'connectors':
        return await connectors(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      io.stderr(`lake: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    io.stderr(
      `lake ${command ?? ''}: ${error instanceof Error ? `${error.name}: ${error.message}` : errorText(error)}\n`,
    );
    return 1;
  }
}

interface Dropped {
  file: string;
  dropKey: string;
  contentHash: string;
  dataset?: string;
}

/** Puts files into the dropzone bucket through the store, so each fires its ObjectCreated event. */
async function dropFiles(
  running: RunningLake,
  files: { path: string; dataset?: string }[],
  onEach?: (i: number) => void,
): Promise<Dropped[]> {
  const dropped: Dropped[] = [];
  for (const [i, file] of files.entries()) {
    const dropKey = file.dataset !== undefined ? `${file.dataset}/${basename(file.path)}` : basename(file.path);
    const contentHash = await sha256File(file.path);
    await running.lake.store.putFile(running.lake.names.buckets.dropzone, dropKey, file.path);
    dropped.push({
      file: file.path,
      dropKey,
      contentHash,
      ...(file.dataset !== undefined ? { dataset: file.dataset } : {}),
    });
    onEach?.(i + 1);
  }
  return dropped;
}

async function outcomes(
  running: RunningLake,
  dropped: Dropped[],
  since: Date,
): Promise<(Dropped & { outcome: FileOutcome })[]> {
  const out: (Dropped & { outcome: FileOutcome })[] = [];
  for (const d of dropped) {
    // A workbook lands as every dataset its sheets hold, whatever folder it was dropped under.
    const dataset =
      d.dataset !== undefined && formatOfExtension(extensionOf(d.dropKey)) !== 'xlsx' ? { dataset: d.dataset } : {};
    for (const outcome of await fileOutcomes(running.lake.store, running.lake.names, {
      contentHash: d.contentHash,
      dropKey: d.dropKey,
      since,
      ...dataset,
    }))
      out.push({ ...d, outcome });
  }
  return out;
}

function describeWiring(running: RunningLake, io: CliIo): void {
  for (const line of running.served) io.stdout(`  wired  ${line}\n`);
  for (const u of running.unserved) io.stdout(`  NOT served locally: ${u.function} (${u.kind}): ${u.reason}\n`);
  const crawler = running.lake.names.crawlers.staging;
  io.stdout(
    `  NOT run locally: Glue crawler ${crawler} (every local table comes from a contract); its kicks are recorded in ${running.lake.crawlers.recordPath(crawler)}\n`,
  );
  for (const problem of running.wiring.problems) io.stdout(`  service file: ${problem}\n`);
}

async function up(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      demo: { type: 'boolean' },
      patients: { type: 'string' },
      days: { type: 'string' },
      workers: { type: 'string' },
      'readings-per-second': { type: 'string' },
    },
    strict: true,
  });
  const home = lakeHome(io);
  const port = lakePort(io);
  const workers = workerCount(io, values.workers, availableParallelism());
  // Listen for Ctrl-C before any work starts, so a stop during the demo never kills the process mid-write.
  let stopRequested = false;
  const stopped = io.untilStopped().then(() => {
    stopRequested = true;
    io.stdout('stop requested; finishing what is in flight...\n');
  });
  io.stdout(`Pulse Lake (local) at ${home}\n`);
  const running = await startLake({ home, stage: LOCAL_STAGE, httpPort: port, watchDropzone: true, workers });
  let simulator: { devices: number; rate: number; stop(): Promise<unknown> } | undefined;
  let demoConnectors: DemoConnectors | undefined;
  try {
    describeWiring(running, io);
    if (running.http) io.stdout(`HTTP API on ${running.http.url}\n`);
    if (running.recovered > 0)
      io.stdout(`recovered: ${running.recovered} queued chunk(s) a stopped run had in flight are retried now\n`);
    // What a previous run left unplanned (stopped between landing and planning) is planned now.
    const swept = await reconcileRawObjects(running.lake);
    if (swept.planned.length > 0)
      io.stdout(`reconciled: planned ${swept.planned.length} raw object(s) a previous run left unplanned\n`);
    if (swept.reannounced.length > 0)
      io.stdout(
        `reconciled: announced the partitions of ${swept.reannounced.length} complete file(s) a previous run left out of the catalog\n`,
      );
    if (swept.stuck.length > 0)
      io.stdout(
        `${swept.stuck.length} file(s) planned over 6 hours ago are not complete: see lake status and lake dlq list\n`,
      );
    if (values.demo && !stopRequested) {
      const patients = positiveInt('patients', values.patients);
      const readingsPerSecond = positiveInt('readings-per-second', values['readings-per-second']);
      const days = positiveInt('days', values.days);
      const fleet = await generateFleet(join(home, 'demo'), {
        ...(patients !== undefined ? { patients } : {}),
        ...(days !== undefined ? { days } : {}),
      });
      io.stdout(
        `demo: ${fleet.patients} patients, ${fleet.days} days, ${fleet.files.length} files; dropping them into s3://${running.lake.names.buckets.dropzone}/\n`,
      );
      const since = new Date();
      const dropped = await dropFiles(
        running,
        fleet.files.map((f) => ({ path: f.path, dataset: f.dataset })),
      );
      // A Ctrl-C here is honoured once the demo has landed (stopping mid-drain hangs today; see issue 3's recovery work).
      await running.drain({ timeoutMs: 15 * 60_000 });
      const results = await outcomes(running, dropped, since);
      const perDataset = new Map<
        string,
        { files: number; rowsIn: number; written: number; rejected: number; quarantined: number }
      >();
      for (const r of results) {
        const o = r.outcome;
        const name = o.dataset ?? r.dataset ?? '?';
        const sum = perDataset.get(name) ?? { files: 0, rowsIn: 0, written: 0, rejected: 0, quarantined: 0 };
        sum.files += 1;
        if (isProcessed(o)) {
          sum.rowsIn += o.totals.rowsIn;
          sum.written += o.totals.rowsWritten;
          sum.rejected += o.totals.rowsRejected;
        } else {
          sum.quarantined += 1;
          io.stdout(`  ${basename(r.file)}: ${o.status}: ${o.reason}\n`);
        }
        perDataset.set(name, sum);
      }
      io.stdout('landed:\n');
      for (const [name, s] of perDataset) {
        io.stdout(
          `  ${name.padEnd(8)} ${String(s.files).padStart(2)} file(s)  ${String(s.rowsIn).padStart(7)} rows in  ${String(s.written).padStart(7)} written  ${String(s.rejected).padStart(4)} rejected${s.quarantined ? `  ${s.quarantined} not processed` : ''}\n`,
        );
      }
      const to = new Date().toISOString().slice(0, 10);
      const from = new Date(Date.now() - (fleet.days + 1) * 86_400_000).toISOString().slice(0, 10);
      const envPrefix = io.env.LAKE_HOME !== undefined ? `LAKE_HOME=${io.env.LAKE_HOME} ` : '';
      io.stdout(
        `query it:\n  ${envPrefix}npm run lake -- query daily_vitals --partner clinic-sg --param from=${from} --param to=${to}\n`,
      );
      if (running.http !== undefined) {
        const credentials = await demoCredentials(
          home,
          running.lake.partners,
          running.lake.region,
          running.http.url,
          new Date(),
        );
        const [clinic] = credentials.partners;
        if (clinic !== undefined) {
          const body = JSON.stringify({ parameters: { from, to } });
          io.stdout(
            `or through the partner API, signed with ${clinic.partnerId}'s demo key (all demo keys: ${join(home, 'demo-credentials.json')}):\n`,
          );
          io.stdout(`  ${curlCommand(credentials, clinic, '/v1/queries')}\n`);
          io.stdout(
            `  ${curlCommand(credentials, clinic, '/v1/queries/daily_vitals/executions')} -H 'content-type: application/json' -d '${body}'\n`,
          );
          io.stdout(
            `  then GET /v1/executions/<executionId> and /v1/executions/<executionId>/results (?format=csv or xlsx) the same way\n`,
          );
        }
      }
      if (!stopRequested) demoConnectors = await pullFromDemoSources(running, fleet, io);
      // The fleet's wearables go live last: from here on the lake is never idle, so nothing after this waits for it to be.
      // A reading every 10 s per device unless told otherwise.
      if (!stopRequested) {
        const rate = readingsPerSecond ?? Math.max(1, Math.round(fleet.wearers.length / 10));
        const table = running.lake.names.tables.telemetry;
        const live = startDeviceSimulator(fleet.wearers, (items) => running.lake.tables.putItems(table, items), {
          readingsPerSecond: rate,
          onError: (error) => io.stderr(`[demo fleet] ${errorText(error)}\n`),
        });
        simulator = { devices: fleet.wearers.length, rate, stop: () => live.stop() };
      }
    }
    if (simulator !== undefined)
      io.stdout(
        `device fleet: ${simulator.devices} wearables writing ${simulator.rate} readings/s into ${running.lake.names.tables.telemetry} (lake status shows freshness)\n`,
      );
    // A stop asked for during the demo has been honoured by now: no promise to watch.
    if (!stopRequested)
      io.stdout(
        `watching ${running.lake.store.bucketPath(running.lake.names.buckets.dropzone)} for dropped files (put them under <dataset>/ folders); Ctrl-C to stop\n`,
      );
    await stopped;
    io.stdout('stopping...\n');
    return 0;
  } finally {
    await simulator?.stop();
    await running.stop();
    await demoConnectors?.close();
  }
}

function describeRun(run: ConnectorRunResult): string {
  const rows = run.landed.reduce((sum, l) => sum + l.rows, 0);
  return `${run.connector}: ${run.outcome}, ${run.pages} page(s), ${run.records} record(s) read, ${rows} row(s) landed in ${run.landed.length} raw object(s), ${run.requests} request(s)${run.reason !== undefined ? `: ${run.reason}` : ''}`;
}

/** The demo's fake third-party sources, pulled from once now; the connector dispatcher's schedule pulls again. */
async function pullFromDemoSources(
  running: RunningLake,
  fleet: { days: number; patients: number },
  io: CliIo,
): Promise<DemoConnectors> {
  const today = new Date();
  const start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - fleet.days));
  const demo = await startDemoConnectors(running.lake, { start, days: fleet.days, patients: fleet.patients });
  io.stdout(
    `demo connectors: a pharmacy REST API on ${demo.sources.pharmacyUrl} and a FHIR R4 endpoint on ${demo.sources.fhirUrl} (both answer 429 and 500 now and then)\n`,
  );
  for (const run of await Promise.all(demo.connectors.map((config) => runConnector(running.lake, config))))
    io.stdout(`  ${describeRun(run)}\n`);
  await running.drain({ timeoutMs: 5 * 60_000 });
  io.stdout(`  they pull again on their schedules; see: npm run lake -- connectors list\n`);
  return demo;
}

async function ingest(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { dataset: { type: 'string' }, json: { type: 'boolean' }, workers: { type: 'string' } },
    strict: true,
  });
  if (positionals.length === 0) throw new UsageError('ingest needs at least one file');
  const dataset = values.dataset;
  if (dataset !== undefined && findContract(dataset) === undefined) {
    throw new UsageError(
      `--dataset ${dataset} is not a known dataset; known datasets: ${DATASETS.map((d) => d.name).join(', ')}`,
    );
  }
  const files = positionals.map((p) => resolve(io.cwd, p));
  for (const file of files)
    if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`${file} is not a file`);
  const progress = (text: string) => {
    if (io.stderrIsTTY && !values.json) io.stderr(`\r\x1b[2K${text}`);
  };
  // Worker processes cost a second or two to start: only worth it when there are chunks to run side by side.
  const chunkBytes = planOptionsFromEnv(io.env).chunkBytes ?? DEFAULT_CHUNK_BYTES;
  // Only CSV is cut into chunks; a workbook or JSON Lines file is one.
  const chunksOf = (file: string) =>
    formatOfExtension(extensionOf(file)) === 'csv' ? Math.max(1, Math.ceil(statSync(file).size / chunkBytes)) : 1;
  const chunks = files.reduce((sum, file) => sum + chunksOf(file), 0);
  const workers = workerCount(io, values.workers, chunks > 1 ? Math.min(availableParallelism(), chunks) : 0);
  const running = await startLake({ home: lakeHome(io), stage: LOCAL_STAGE, retryAfterSeconds: 1, workers });
  let results: (Dropped & { outcome: FileOutcome })[];
  try {
    const since = new Date();
    const dropped = await dropFiles(
      running,
      files.map((path) => ({ path, ...(dataset !== undefined ? { dataset } : {}) })),
      (i) => progress(`dropped ${i}/${files.length} file(s)`),
    );
    const started = Date.now();
    const ticker =
      io.stderrIsTTY && !values.json
        ? setInterval(() => progress(`normalizing... ${Math.round((Date.now() - started) / 1000)} s`), 1000)
        : undefined;
    try {
      await running.drain({ timeoutMs: 30 * 60_000 });
    } finally {
      if (ticker) clearInterval(ticker);
      progress('');
      if (io.stderrIsTTY && !values.json) io.stderr('\r\x1b[2K');
    }
    results = await outcomes(running, dropped, since);
  } finally {
    await running.stop();
  }
  const failed = results.filter((r) => !isProcessed(r.outcome));
  if (values.json) {
    io.stdout(
      `${JSON.stringify({ ok: failed.length === 0, files: results.map((r) => ({ file: r.file, dropKey: r.dropKey, ...r.outcome })) }, null, 2)}\n`,
    );
  } else {
    for (const r of results) {
      const o = r.outcome;
      if (isProcessed(o)) {
        io.stdout(
          `${basename(r.file)} -> ${o.dataset}: ${o.totals.rowsIn} rows in, ${o.totals.rowsWritten} written, ${o.totals.rowsRejected} rejected, ${o.totals.rowsDuplicate} duplicate${o.status === 'duplicate' ? ' (already ingested: no new rows)' : ''}\n`,
        );
        for (const key of o.outputKeys) io.stdout(`    s3://${running.lake.names.buckets.curated}/${key}\n`);
        for (const key of o.rejectsKeys) io.stdout(`    rejects: s3://${running.lake.names.buckets.rejects}/${key}\n`);
      } else {
        io.stdout(`${basename(r.file)}: ${o.status}\n`);
      }
    }
  }
  for (const r of failed) {
    const o = r.outcome;
    if (o.status === 'quarantined') {
      io.stderr(
        `lake ingest: ${basename(r.file)} was quarantined: ${o.reason}\n  it is kept at s3://${o.quarantine.bucket}/${o.quarantine.key} (nothing is lost); fix it and ingest it again\n`,
      );
    } else if (o.status === 'unfinished') {
      io.stderr(`lake ingest: ${basename(r.file)} was not processed: ${o.reason}\n`);
    }
  }
  return failed.length === 0 ? 0 : 1;
}

async function runSql(io: CliIo, text: string, parameters: (string | number | boolean | null)[]): Promise<ResultSet> {
  return withLake(io, (lake) =>
    runToCompletion(lake.engine, text, { database: lake.names.databases.curated, parameters }),
  );
}

function print(io: CliIo, result: ResultSet, format: OutputFormat): void {
  io.stdout(format === 'json' ? `${JSON.stringify(resultObjects(result), null, 2)}\n` : formatResult(result, format));
}

/** The local lake's stand-ins, without running any service (status, dlq, sql). */
async function withLake<T>(io: CliIo, use: (lake: ReturnType<typeof buildLocalLake>) => Promise<T>): Promise<T> {
  const lake = buildLocalLake(lakeHome(io), {
    stage: LOCAL_STAGE,
    onError: (component, error) => io.stderr(`[lake ${component}] ${errorText(error)}\n`),
  });
  try {
    return await use(lake);
  } finally {
    await lake.close();
  }
}

const column = (name: string, type = 'VARCHAR') => ({ name, type });

/** `42 s`, `12 min`, `5.2 h`, `3.0 d`: how old the newest queryable reading is. */
function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

async function status(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true });
  const { report, freshness } = await withLake(io, async (lake) => ({
    report: await lakeStatus(lake),
    freshness: await datasetFreshness(lake),
  }));
  const freshnessOf = (dataset: string) => freshness.find((f) => f.dataset === dataset);
  if (values.json) {
    const datasets = report.datasets.map((d) => {
      const fresh = freshnessOf(d.dataset);
      return {
        ...d,
        ...(fresh?.newestReadingAt !== undefined
          ? { newestReadingAt: fresh.newestReadingAt, newestReadingAgeSeconds: fresh.ageSeconds }
          : {}),
      };
    });
    io.stdout(`${JSON.stringify({ ...report, datasets }, null, 2)}\n`);
    return 0;
  }
  const result: ResultSet = {
    columns: [
      column('dataset'),
      column('files', 'BIGINT'),
      column('in_progress', 'BIGINT'),
      column('rows_in', 'BIGINT'),
      column('rows_written', 'BIGINT'),
      column('rejected', 'BIGINT'),
      column('reject_rate'),
      column('partitions', 'BIGINT'),
      column('last_ingest'),
      column('quarantined', 'BIGINT'),
      column('newest_reading'),
      column('freshness'),
    ],
    rows: report.datasets.map((d) => {
      const fresh = freshnessOf(d.dataset);
      return [
        d.dataset,
        String(d.files),
        String(d.filesInProgress),
        String(d.rowsIn),
        String(d.rowsWritten),
        String(d.rowsRejected),
        `${(d.rejectRate * 100).toFixed(1)} %`,
        String(d.partitions),
        d.lastIngestAt ?? '-',
        String(d.quarantinedFiles),
        fresh?.newestReadingAt ?? '-',
        fresh?.ageSeconds === undefined ? '-' : formatAge(fresh.ageSeconds),
      ];
    }),
  };
  io.stdout(formatResult(result, 'table'));
  if (report.quarantinedUnknown > 0)
    io.stdout(
      `${report.quarantinedUnknown} file(s) quarantined before their dataset was known: reasons in ${lakeHome(io)}/s3/${lakeNames(LOCAL_STAGE).buckets.rejects}/quarantine/_unknown/, the files in ${lakeHome(io)}/s3/${lakeNames(LOCAL_STAGE).buckets.raw}/_quarantine/_unknown/\n`,
    );
  return 0;
}

async function catalog(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true });
  const tables = await withLake(io, (lake) => catalogReport(lake));
  if (values.json) {
    io.stdout(`${JSON.stringify(tables, null, 2)}\n`);
    return 0;
  }
  if (tables.length === 0) io.stdout('the catalog is empty: nothing has been ingested yet\n');
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  for (const t of tables) {
    io.stdout(
      `${t.database}.${t.table}  (${t.format}; ${t.partitions} partition(s), ${t.files} file(s), ${mib(t.bytes)})  ${t.location}\n`,
    );
    if (t.description !== undefined) io.stdout(`  ${t.description}\n`);
    const result: ResultSet = {
      columns: [column('column'), column('type'), column('pii'), column('about')],
      rows: t.columns.map((c) => [
        c.name,
        c.type,
        c.partitionKey === true ? 'partition key' : (c.pii ?? '-'),
        c.comment ?? '',
      ]),
    };
    io.stdout(`${formatResult(result, 'table').replace(/^/gm, '  ')}\n`);
  }
  return 0;
}

async function promote(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {}, strict: true });
  const [dataset] = positionals;
  if (dataset === undefined || positionals.length > 1)
    throw new UsageError('promote needs one dataset, e.g. lake promote gait');
  try {
    const done = await withLake(io, (lake) => promoteDataset(lake, dataset));
    io.stdout(
      `${done.dataset}: ${done.objects} file(s) in ${done.partitions} partition(s) moved from staging to curated\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof PromoteError)) throw error;
    io.stderr(`lake promote: ${error.message}\n`);
    return 1;
  }
}

async function dlq(args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } }, strict: true });
  const { normalize, normalizeDlq, telemetryStreamDlq } = lakeNames(LOCAL_STAGE).queues;
  switch (action) {
    case 'list': {
      const { messages, streamFailures } = await withLake(io, async (lake) => ({
        messages: await lake.queue.list(normalizeDlq),
        streamFailures: await lake.queue.list(telemetryStreamDlq),
      }));
      // The bodies are normalize-chunk messages: dataset, raw key (a content hash, no identifiers) and chunk.
      const listed = messages.map((m) => {
        const body = JSON.parse(m.body) as Partial<NormalizeChunkMessage>;
        return {
          messageId: m.messageId,
          dataset: body.dataset ?? null,
          raw: body.raw?.key ?? null,
          chunk: body.chunk ? `${body.chunk.index + 1}/${body.chunk.count}` : null,
          sentAt: new Date(m.sentTimestamp).toISOString(),
        };
      });
      // The telemetry stream's on-failure records name a shard and a sequence range, as AWS's do (no item values).
      const stream = streamFailures.map((m) => {
        const info = (JSON.parse(m.body) as Partial<StreamFailureRecord>).DDBStreamBatchInfo;
        return {
          messageId: m.messageId,
          shard: info?.shardId ?? null,
          firstSequence: info?.startSequenceNumber ?? null,
          lastSequence: info?.endSequenceNumber ?? null,
          records: info?.batchSize ?? null,
          sentAt: new Date(m.sentTimestamp).toISOString(),
        };
      });
      if (values.json) {
        io.stdout(`${JSON.stringify({ [normalizeDlq]: listed, [telemetryStreamDlq]: stream }, null, 2)}\n`);
        return 0;
      }
      if (listed.length === 0) io.stdout(`${normalizeDlq} is empty\n`);
      else {
        const result: ResultSet = {
          columns: [
            column('message_id'),
            column('dataset'),
            column('raw_object'),
            column('chunk'),
            column('parked_at'),
          ],
          rows: listed.map((m) => [m.messageId, m.dataset, m.raw, m.chunk, m.sentAt]),
        };
        io.stdout(formatResult(result, 'table'));
        io.stdout('why they failed is in the lake up log; fix the cause, then: npm run lake -- dlq redrive\n');
      }
      if (stream.length === 0) io.stdout(`${telemetryStreamDlq} is empty\n`);
      else {
        const result: ResultSet = {
          columns: [
            column('message_id'),
            column('shard'),
            column('first_sequence'),
            column('last_sequence'),
            column('records', 'BIGINT'),
            column('given_up_at'),
          ],
          rows: stream.map((m) => [m.messageId, m.shard, m.firstSequence, m.lastSequence, String(m.records), m.sentAt]),
        };
        io.stdout(formatResult(result, 'table'));
        io.stdout(
          `telemetry stream batches given up on; their records are kept in ${join(lakeHome(io), 'dynamodb', lakeNames(LOCAL_STAGE).tables.telemetry, 'shards', '<shard>', 'failed')}/ (docs/deploy.md: restoring from the DLQs)\n`,
        );
      }
      return 0;
    }
    case 'redrive': {
      const moved = await withLake(io, (lake) => lake.queue.redrive(normalizeDlq, normalize));
      io.stdout(
        values.json
          ? `${JSON.stringify({ redriven: moved })}\n`
          : `${moved} message(s) moved from ${normalizeDlq} back to ${normalize}; lake up retries them\n`,
      );
      return 0;
    }
    default:
      throw new UsageError('dlq needs list or redrive, e.g. lake dlq list');
  }
}

async function partners(args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { datasets: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const registry = buildLocalPartnerRegistry(lakeHome(io));
  switch (action) {
    case 'add': {
      const [partnerId] = positionals;
      if (partnerId === undefined || positionals.length > 1)
        throw new UsageError(
          'partners add needs one partner id, e.g. lake partners add clinic-sg --datasets vitals,dosage',
        );
      if (!PARTNER_ID.test(partnerId))
        throw new UsageError(`partner id "${partnerId}" must be 2-63 lower-case letters, digits and dashes`);
      const datasets = values.datasets
        ?.split(',')
        .map((d) => d.trim())
        .filter((d) => d !== '');
      for (const dataset of datasets ?? [])
        if (findContract(dataset) === undefined)
          throw new UsageError(
            `--datasets: ${dataset} is not a known dataset; known datasets: ${DATASETS.map((d) => d.name).join(', ')}`,
          );
      const key = await addPartnerKey(registry, partnerId, datasets, new Date());
      io.stdout(`${JSON.stringify({ ...key, region: io.env.AWS_REGION ?? DEFAULT_REGION, service: SIGNING_SERVICE }, null, 2)}
`);
      io.stderr("the secret is shown this once; keep it in the partner's secret store\n");
      return 0;
    }
    case 'list': {
      const keys = (await registry.list()).map((k) => ({
        partnerId: k.partnerId,
        accessKeyId: k.accessKeyId,
        datasets: k.datasets ?? [],
        createdAt: k.createdAt,
      }));
      if (values.json) io.stdout(`${JSON.stringify(keys, null, 2)}\n`);
      else
        io.stdout(
          formatResult(
            {
              columns: [column('partner'), column('access_key_id'), column('datasets'), column('created_at')],
              rows: keys.map((k) => [k.partnerId, k.accessKeyId, k.datasets.join(','), k.createdAt]),
            },
            'table',
          ),
        );
      return 0;
    }
    default:
      throw new UsageError('partners needs add or list, e.g. lake partners add clinic-sg');
  }
}

async function connectors(args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
    strict: true,
  });
  switch (action) {
    case 'list': {
      const listing = await withLake(io, (lake) => listConnectors(lake, new Date()));
      if (values.json) io.stdout(`${JSON.stringify(listing, null, 2)}\n`);
      else {
        const cursors = (c: (typeof listing.connectors)[number]) =>
          c.streams
            .map(
              (s) =>
                `${c.kind === 'fhir' ? `${s.stream} ` : ''}${s.cursor ?? '-'}${s.resumesPartWay ? ' (part-way)' : ''}`,
            )
            .join('; ') || '-';
        const rows = listing.connectors.map((c) => [
          c.connector,
          c.kind,
          c.datasets.join(','),
          c.schedule,
          cursors(c),
          c.lastRun?.startedAt ?? '-',
          c.lastRun ? `${c.lastRun.outcome}${c.lastRun.reason !== undefined ? `: ${c.lastRun.reason}` : ''}` : '-',
          c.nextRunAt,
        ]);
        io.stdout(
          formatResult(
            {
              columns: [
                'connector',
                'kind',
                'datasets',
                'schedule',
                'cursor',
                'last_run',
                'last_outcome',
                'next_run',
              ].map((n) => column(n)),
              rows,
            },
            'table',
          ),
        );
      }
      for (const problem of listing.problems) io.stderr(`lake connectors: ${problem}\n`);
      return 0;
    }
    case 'run': {
      const [name] = positionals;
      if (name === undefined || positionals.length > 1)
        throw new UsageError('connectors run needs one connector name, e.g. lake connectors run demo-pharmacy');
      const running = await startLake({ home: lakeHome(io), stage: LOCAL_STAGE, retryAfterSeconds: 1, workers: 0 });
      try {
        const { connectors: known, problems } = await running.lake.connectors.load();
        const config = known.find((c) => c.name === name);
        if (config === undefined) {
          for (const problem of problems) io.stderr(`lake connectors: ${problem}\n`);
          throw new UsageError(
            `no usable connector named ${name} in ${running.lake.connectorsDir}; known: ${known.map((c) => c.name).join(', ') || 'none'}`,
          );
        }
        const run = await runConnector(running.lake, config);
        await running.drain({ timeoutMs: 10 * 60_000 });
        io.stdout(values.json ? `${JSON.stringify(run, null, 2)}\n` : `${describeRun(run)}\n`);
        return run.outcome === 'failed' ? 1 : 0;
      } finally {
        await running.stop();
      }
    }
    default:
      throw new UsageError('connectors needs list or run, e.g. lake connectors list');
  }
}

async function sql(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: 'string' } },
    strict: true,
  });
  const format = parseFormat(values.format);
  const text = positionals.join(' ').trim();
  if (text === '') throw new UsageError('sql needs a SELECT statement, e.g. lake sql "SELECT count(*) FROM vitals"');
  print(io, await runSql(io, text, []), format);
  return 0;
}

async function query(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { partner: { type: 'string' }, param: { type: 'string', multiple: true }, format: { type: 'string' } },
    strict: true,
  });
  const format = parseFormat(values.format);
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0)
    throw new UsageError('query needs exactly one query name, e.g. lake query daily_vitals --partner clinic-sg');
  if (values.partner === undefined || values.partner.trim() === '')
    throw new UsageError('query needs --partner <id>: every query is scoped to one partner');
  const params: Record<string, string> = {};
  for (const pair of values.param ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param ${pair} must be written name=value`);
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const named = getNamedQuery(name);
  const rendered = renderNamedQuery(
    named,
    params,
    { partnerId: values.partner },
    { curatedDatabase: lakeNames(LOCAL_STAGE).databases.curated, dialect: 'duckdb' },
  );
  print(io, await runSql(io, rendered.sql, rendered.parameters), format);
  return 0;
}

async function telemetry(args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'put') throw new UsageError('telemetry needs an action: lake telemetry put <file.jsonl>');
  const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {}, strict: true });
  const [file] = positionals;
  if (file === undefined || positionals.length > 1)
    throw new UsageError('telemetry put needs one JSON Lines file, e.g. lake telemetry put readings.jsonl');
  const items = await readTelemetryItems(file);
  const table = lakeNames(LOCAL_STAGE).tables.telemetry;
  const written = await withLake(io, async (lake) => {
    // The table exists once the lake has started; before that, this makes it as lake up would.
    await lake.tables.define({ name: table, keySchema: TELEMETRY_KEY });
    return putTelemetryItems((batch) => lake.tables.putItems(table, batch), items);
  });
  io.stdout(`put ${written} item(s) into ${table}; lake up streams them into the lake\n`);
  return 0;
}

async function compact(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'retire-after-minutes': { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const minutes = values['retire-after-minutes'];
  if (minutes !== undefined && !/^\d+(\.\d+)?$/.test(minutes))
    throw new UsageError(`--retire-after-minutes must be a number of minutes, got ${minutes}`);
  const outcome = await withLake(io, (lake) =>
    compactLake(lake, minutes !== undefined ? { retireAfterMs: Number(minutes) * 60_000 } : {}),
  );
  if (values.json) {
    io.stdout(`${JSON.stringify(outcome, null, 2)}\n`);
    return 0;
  }
  for (const m of outcome.merged) {
    io.stdout(
      `${m.dataset} site=${m.site} dt=${m.dt}: ${m.inputs.length} files (${(m.inputBytes / 1024).toFixed(0)} KiB) merged into ${m.outputs.length} (${m.outputs.reduce((sum, o) => sum + o.rows, 0)} rows); inputs retire after ${m.retireAfter}\n`,
    );
  }
  io.stdout(`${outcome.merged.length} partition(s) compacted, ${outcome.retired} merged file(s) retired\n`);
  return 0;
}
