/** What the CLI reads from its environment: LAKE_HOME, LAKE_PORT, LAKE_WORKERS. */
import { resolve } from 'node:path';
import { UsageError } from './arguments';
import type { CliIo } from './io';

/** The CLI always runs the lake's `local` stage. */
export const LOCAL_STAGE = 'local';

/** LAKE_HOME, default ./.lake, from the working directory. */
export function lakeHome(io: CliIo): string {
  return resolve(io.cwd, io.env.LAKE_HOME ?? '.lake');
}

/** LAKE_PORT, default 3000 (0: any free port). */
export function lakePort(io: CliIo): number {
  const text = io.env.LAKE_PORT ?? '3000';
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`LAKE_PORT must be a port number 0..65535, not "${text}"`);
  return port;
}

/** --workers, else LAKE_WORKERS, else `fallback`: a whole number of at least 0. */
export function workerCount(io: CliIo, flag: string | undefined, fallback: number): number {
  const text = flag ?? io.env.LAKE_WORKERS;
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 64)
    throw new UsageError(`--workers (or LAKE_WORKERS) must be a whole number 0..64, not "${text}"`);
  return n;
}
