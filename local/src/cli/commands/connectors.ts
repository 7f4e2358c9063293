/** `lake connectors list | run <name>`: the third-party connectors in $LAKE_HOME/connectors/, and running one now. */
import { parseArgs } from 'node:util';
import { runConnector } from '@pulse-lake/shared/connectors/run-connector';
import { formatResult } from '@pulse-lake/shared/query/format';
import { startLake } from '../../runtime/runtime';
import { UsageError } from '../arguments';
import { describeConnectorRun, listConnectors } from '../connectors';
import { LOCAL_STAGE, lakeHome } from '../environment';
import type { CliIo } from '../io';
import { withLake } from '../local-lake';
import { column } from '../results';

export const usage = `  lake connectors list [--json]
      Connectors (one file each in $LAKE_HOME/connectors/): schedule, cursor, last run and its outcome, next run.
  lake connectors run <name> [--json]
      Runs one connector now and normalizes what it landed.
`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
    strict: true,
  });
  switch (action) {
    case 'list':
      return list(values.json === true, io);
    case 'run': {
      const [name] = positionals;
      if (name === undefined || positionals.length > 1)
        throw new UsageError('connectors run needs one connector name, e.g. lake connectors run demo-pharmacy');
      return runNow(name, values.json === true, io);
    }
    default:
      throw new UsageError('connectors needs list or run, e.g. lake connectors list');
  }
}

async function list(json: boolean, io: CliIo): Promise<number> {
  const listing = await withLake(io, (lake) => listConnectors(lake, new Date()));
  if (json) io.stdout(`${JSON.stringify(listing, null, 2)}\n`);
  else {
    const cursors = (c: (typeof listing.connectors)[number]) =>
      c.streams
        .map(
          (s) => `${c.kind === 'fhir' ? `${s.stream} ` : ''}${s.cursor ?? '-'}${s.resumesPartWay ? ' (part-way)' : ''}`,
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
          columns: ['connector', 'kind', 'datasets', 'schedule', 'cursor', 'last_run', 'last_outcome', 'next_run'].map(
            (n) => column(n),
          ),
          rows,
        },
        'table',
      ),
    );
  }
  for (const problem of listing.problems) io.stderr(`lake connectors: ${problem}\n`);
  return 0;
}

/** Runs one connector on a lake started for it, and waits until what it landed is normalized. */
async function runNow(name: string, json: boolean, io: CliIo): Promise<number> {
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
    io.stdout(json ? `${JSON.stringify(run, null, 2)}\n` : `${describeConnectorRun(run)}\n`);
    return run.outcome === 'failed' ? 1 : 0;
  } finally {
    await running.stop();
  }
}
