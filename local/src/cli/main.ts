/**
 * The `lake` CLI: run the embedded lake (`up`), push files through it once
 * (`ingest`), and look at what it holds (`sql`, `query`). Every command honours
 * LAKE_HOME (default ./.lake) and LAKE_PORT (default 3000).
 *
 * Each command is one file in commands/, exporting its usage lines and its `run`;
 * this file only dispatches to them and turns errors into exit codes.
 */
import { isParseArgsError, UsageError } from './arguments';
import * as catalog from './commands/catalog';
import * as compact from './commands/compact';
import * as connectors from './commands/connectors';
import * as dlq from './commands/dlq';
import * as ingest from './commands/ingest';
import * as partners from './commands/partners';
import * as promote from './commands/promote';
import * as query from './commands/query';
import * as sql from './commands/sql';
import * as status from './commands/status';
import * as telemetry from './commands/telemetry';
import * as up from './commands/up';
import type { CliIo } from './io';
import { errorText, processIo } from './io';

export type { CliIo } from './io';

interface Command {
  /** Its lines in `lake help`. */
  usage: string;
  /** Runs it; resolves to the exit code. */
  run: (args: string[], io: CliIo) => Promise<number>;
}

/** The commands, in the order `lake help` lists them. */
const COMMANDS = new Map<string, Command>([
  ['up', up],
  ['ingest', ingest],
  ['status', status],
  ['dlq', dlq],
  ['promote', promote],
  ['catalog', catalog],
  ['sql', sql],
  ['query', query],
  ['partners', partners],
  ['compact', compact],
  ['telemetry', telemetry],
  ['connectors', connectors],
]);

const USAGE = `Usage: lake <command>

${[...COMMANDS.values()].map((c) => c.usage).join('')}
--workers N: normalizer processes running chunks in parallel (0 = in the CLI's own process).
  Default for up: the number of cores; for ingest: as many as the files have 64 MiB chunks, up to
  the number of cores (so small files start no process).

Environment: LAKE_HOME (default ./.lake), LAKE_PORT (default 3000), LAKE_WORKERS (as --workers),
  NORMALIZE_CHUNK_MIB (size of the chunks a large CSV is cut into; default 64).
`;

const HELP = new Set([undefined, 'help', '--help', '-h']);

/** Runs the `lake` CLI; resolves to the process exit code. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (HELP.has(command)) {
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    const found = command === undefined ? undefined : COMMANDS.get(command);
    if (found === undefined) throw new UsageError(`unknown command "${command}"`);
    return await found.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr(`lake: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    io.stderr(
      `lake ${command ?? ''}: ${error instanceof Error ? `${error.name}: ${error.message}` : errorText(error)}\n`,
    );
    return 1;
  }
}
