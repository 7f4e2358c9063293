/** Checks on the CLI's flags; a bad one is a UsageError, printed with the usage (exit code 2). */
import type { ResultFormat } from '@pulse-lake/shared/query/format';

/** A command line the CLI cannot act on; printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What node:util's parseArgs throws for an unknown flag or a missing value: a usage error too. */
export function isParseArgsError(error: unknown): error is TypeError {
  return error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
}

/** --format: table (the default), json or csv. */
export function parseFormat(value: string | undefined): ResultFormat {
  const format = value ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'csv')
    throw new UsageError(`--format must be table, json or csv, not "${format}"`);
  return format;
}

/** A flag that must be a whole number of at least 1, when given. */
export function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${name} must be a whole number of at least 1, not "${value}"`);
  return n;
}
