/**
 * Drives the `lake` CLI in process, as a user would, against a temp LAKE_HOME.
 */
import type { Dirent } from 'node:fs';
import type { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/main';
import { main } from '../../src/cli/main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `lake <argv>` with LAKE_HOME=`home`, from `cwd`. */
export async function lake(home: string, argv: string[], cwd: string = home): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: { LAKE_HOME: home, LAKE_PORT: '0' },
    cwd,
    stderrIsTTY: false,
    untilStopped: () => Promise.resolve(),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** A fresh temp folder; remove it with `cleanup`. */
export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `pulse-lake-${prefix}-`));
}

export async function cleanup(...dirs: string[]): Promise<void> {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}

export async function writeCsv(dir: string, name: string, lines: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

/** Every file under `dir`, recursively (empty when `dir` does not exist). */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * The readable text of a file: a Parquet file's every value (read through
 * DuckDB, since compression would hide strings from a byte scan), else its bytes as UTF-8.
 */
export async function readableText(path: string, duck: DuckDBInstance): Promise<string> {
  if (!path.endsWith('.parquet')) return readFile(path, 'utf8');
  const connection = await duck.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${path.replace(/'/g, "''")}')`);
    const columns = reader.columnNames();
    const rows = reader.getRowsJS();
    return [
      columns.join(','),
      ...rows.map((r) => r.map((v) => (v instanceof Date ? v.toISOString() : String(v))).join(',')),
    ].join('\n');
  } finally {
    connection.closeSync();
  }
}

/** The JSON printed by `lake ... --json` / `--format json`. */
export function json<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch (error) {
    throw new Error(`expected JSON on stdout, got: ${run.stdout.slice(0, 500)}\nstderr: ${run.stderr.slice(0, 2000)}`, {
      cause: error,
    });
  }
}
