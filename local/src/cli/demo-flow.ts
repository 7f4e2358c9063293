/**
 * `lake up --demo` once the lake runs: a synthetic fleet's files dropped in
 * and landed, how to query them (CLI and signed API), the fake third-party
 * sources pulled from once, and last the fleet's wearables writing live readings.
 */
import { basename, join } from 'node:path';
import { runConnector } from '@pulse-lake/shared/connectors/run-connector';
import { startDeviceSimulator } from '../demo/device-simulator';
import { generateFleet } from '../demo/fleet';
import type { RunningLake } from '../runtime/runtime';
import type { DemoConnectors } from './connectors';
import { describeConnectorRun, startDemoConnectors } from './connectors';
import { droppedOutcomes, dropFiles } from './drop-files';
import type { CliIo } from './io';
import { errorText } from './io';
import { isProcessed } from './outcomes';
import { curlCommand, demoCredentials } from './partners';

export interface DemoOptions {
  patients?: number;
  days?: number;
  readingsPerSecond?: number;
}

/** What the demo left running; `lake up` stops it when it stops. Filled in as each part starts. */
export interface RunningDemo {
  simulator?: { devices: number; rate: number; stop(): Promise<unknown> };
  connectors?: DemoConnectors;
}

/**
 * Runs the demo on `running`, writing what it does to `io`; `started` receives
 * each part left running as soon as it runs, so a failure later still stops it.
 */
export async function runDemo(
  running: RunningLake,
  home: string,
  options: DemoOptions,
  io: CliIo,
  stopRequested: () => boolean,
  started: RunningDemo,
): Promise<void> {
  const { patients, days, readingsPerSecond } = options;
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
  reportLanded(await droppedOutcomes(running, dropped, since), io);
  const to = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - (fleet.days + 1) * 86_400_000).toISOString().slice(0, 10);
  const envPrefix = io.env.LAKE_HOME !== undefined ? `LAKE_HOME=${io.env.LAKE_HOME} ` : '';
  io.stdout(
    `query it:\n  ${envPrefix}npm run lake -- query daily_vitals --partner clinic-sg --param from=${from} --param to=${to}\n`,
  );
  if (running.http !== undefined) await printPartnerApiHints(running, running.http.url, home, { from, to }, io);
  if (!stopRequested()) started.connectors = await pullFromDemoSources(running, fleet, io);
  // The fleet's wearables go live last: from here on the lake is never idle, so nothing after this waits for it to be.
  // A reading every 10 s per device unless told otherwise.
  if (!stopRequested()) {
    const rate = readingsPerSecond ?? Math.max(1, Math.round(fleet.wearers.length / 10));
    const table = running.lake.names.tables.telemetry;
    const live = startDeviceSimulator(fleet.wearers, (items) => running.lake.tables.putItems(table, items), {
      readingsPerSecond: rate,
      onError: (error) => io.stderr(`[demo fleet] ${errorText(error)}\n`),
    });
    started.simulator = { devices: fleet.wearers.length, rate, stop: () => live.stop() };
  }
}

/** Per dataset: files, rows in, written, rejected; a file not processed is named with its reason. */
function reportLanded(results: Awaited<ReturnType<typeof droppedOutcomes>>, io: CliIo): void {
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
}

/** Makes the demo partners' keys and prints ready-to-paste signed curl lines for the partner API. */
async function printPartnerApiHints(
  running: RunningLake,
  url: string,
  home: string,
  parameters: { from: string; to: string },
  io: CliIo,
): Promise<void> {
  const credentials = await demoCredentials(home, running.lake.partners, running.lake.region, url, new Date());
  const [clinic] = credentials.partners;
  if (clinic === undefined) return;
  const body = JSON.stringify({ parameters });
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
    io.stdout(`  ${describeConnectorRun(run)}\n`);
  await running.drain({ timeoutMs: 5 * 60_000 });
  io.stdout(`  they pull again on their schedules; see: npm run lake -- connectors list\n`);
  return demo;
}
