/** `lake up`: runs the whole lake on this machine until Ctrl-C; `--demo` feeds it a synthetic fleet first. */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { reconcileRawObjects } from '@pulse-lake/shared/operations/reconcile';
import type { RunningLake } from '../../runtime/runtime';
import { startLake } from '../../runtime/runtime';
import { positiveInt } from '../arguments';
import type { RunningDemo } from '../demo-flow';
import { runDemo } from '../demo-flow';
import { LOCAL_STAGE, lakeHome, lakePort, workerCount } from '../environment';
import type { CliIo } from '../io';

export const usage = `  lake up [--demo] [--patients N] [--days N] [--workers N] [--readings-per-second N]
      Run the whole lake on this machine. --demo generates a synthetic fleet, drops its files in,
      then keeps its wearables writing readings into the telemetry table (default one per device per 10 s).
`;

export async function run(args: string[], io: CliIo): Promise<number> {
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
  const demo: RunningDemo = {};
  try {
    describeWiring(running, io);
    if (running.http) io.stdout(`HTTP API on ${running.http.url}\n`);
    if (running.recovered > 0)
      io.stdout(`recovered: ${running.recovered} queued chunk(s) a stopped run had in flight are retried now\n`);
    await planWhatAPreviousRunLeft(running, io);
    if (values.demo && !stopRequested) {
      const patients = positiveInt('patients', values.patients);
      const readingsPerSecond = positiveInt('readings-per-second', values['readings-per-second']);
      const days = positiveInt('days', values.days);
      await runDemo(
        running,
        home,
        {
          ...(patients !== undefined ? { patients } : {}),
          ...(days !== undefined ? { days } : {}),
          ...(readingsPerSecond !== undefined ? { readingsPerSecond } : {}),
        },
        io,
        () => stopRequested,
        demo,
      );
    }
    if (demo.simulator !== undefined)
      io.stdout(
        `device fleet: ${demo.simulator.devices} wearables writing ${demo.simulator.rate} readings/s into ${running.lake.names.tables.telemetry} (lake status shows freshness)\n`,
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
    await demo.simulator?.stop();
    await running.stop();
    await demo.connectors?.close();
  }
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

/** What a previous run left unplanned (stopped between landing and planning) is planned now. */
async function planWhatAPreviousRunLeft(running: RunningLake, io: CliIo): Promise<void> {
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
}
