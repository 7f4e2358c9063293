/** How the CLI prints result sets: aligned tables, JSON objects or CSV. */
import type { ResultFormat, ResultSet } from '@pulse-lake/shared/query/format';
import { formatResult, resultObjects } from '@pulse-lake/shared/query/format';
import type { CliIo } from './io';

/** A result column for a table the CLI prints. */
export const column = (name: string, type = 'VARCHAR') => ({ name, type });

/** Prints `result` in `format`: JSON as an array of row objects. */
export function printResult(io: CliIo, result: ResultSet, format: ResultFormat): void {
  io.stdout(format === 'json' ? `${JSON.stringify(resultObjects(result), null, 2)}\n` : formatResult(result, format));
}
