/**
 * File-system primitives the stand-ins share: atomic writes (temp file on the
 * same file system, fsync, rename) and a cross-process lock (O_EXCL lock file).
 * They are what make the folders behave like S3/SQS/Glue under concurrency.
 */
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { link, mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Prefix of every temp file the stand-ins write, so listings and watchers can skip them. */
export const TEMP_PREFIX = '.pulse-tmp-';

/** A fresh temp file path under `tmpDir` (which must be on the same file system as the target, so rename is atomic). */
export function tempPath(tmpDir: string): string {
  return join(tmpDir, `${TEMP_PREFIX}${process.pid}-${randomBytes(8).toString('hex')}`);
}

/** Node's errno code of an error, when it has one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/**
 * Opens a new file at `path` for writing (O_EXCL), creating its folder only when
 * it is missing: a mkdir before every write is a wasted system call on a hot path.
 */
export async function openNewFile(path: string, mode = 0o644): Promise<FileHandle> {
  try {
    return await open(path, 'wx', mode);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    await mkdir(dirname(path), { recursive: true });
    return open(path, 'wx', mode);
  }
}

/** Writes `data` to a temp file in `tmpDir` and fsyncs it; returns the temp path (the caller renames or links it). */
export async function writeTemp(tmpDir: string, data: Uint8Array | string, mode = 0o644): Promise<string> {
  const path = tempPath(tmpDir);
  const handle = await openNewFile(path, mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return path;
}

/**
 * Puts `from` at `to` with `place` (rename or link), creating `to`'s directory only
 * when it is missing. Retries when a concurrent cleanup removed the directory
 * between mkdir and the move; the source vanishing is a real error.
 */
async function placeInto(place: (from: string, to: string) => Promise<void>, from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await place(from, to);
      return;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' || attempt >= 3) throw error;
      await stat(from);
      await mkdir(dirname(to), { recursive: true });
    }
  }
}

/** Renames `from` onto `to`, creating `to`'s directory when it is missing. */
export const renameInto = (from: string, to: string): Promise<void> => placeInto(rename, from, to);

/** Hard-links `from` as `to` (EEXIST when `to` exists), creating `to`'s directory when it is missing. */
export const linkInto = (from: string, to: string): Promise<void> => placeInto(link, from, to);

/** Removes the file at `path`; one that is not there (or whose folder is not) is already removed. */
export async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') throw error;
  }
}

/** Atomically replaces `path` with `data`: readers see the old content or the new, never a part. */
export async function writeFileAtomic(
  tmpDir: string,
  path: string,
  data: Uint8Array | string,
  mode?: number,
): Promise<void> {
  const temp = await writeTemp(tmpDir, data, mode);
  try {
    await renameInto(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Reads and parses a JSON file, or returns undefined when it does not exist. */
export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** The lock could not be taken in time (another process holds it). */
export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
  constructor(
    readonly lockPath: string,
    options?: { cause?: unknown },
  ) {
    super(`could not take the lock ${lockPath} in time; if no lake process is running, delete that file`, options);
  }
}

const inProcessTails = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` while holding an exclusive lock on `lockPath`, across processes
 * (O_EXCL lock file) and within this process (a promise chain, so the file is
 * not contended by ourselves). A lock older than `staleMs` is taken to belong
 * to a crashed process and is broken.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: { timeoutMs?: number; staleMs?: number } = {},
): Promise<T> {
  const previous = inProcessTails.get(lockPath) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => withCrossProcessLock(lockPath, fn, options));
  const tail = run.catch(() => undefined);
  inProcessTails.set(lockPath, tail);
  try {
    return await run;
  } finally {
    if (inProcessTails.get(lockPath) === tail) inProcessTails.delete(lockPath);
  }
}

/**
 * Creates the lock file `lockPath` (O_EXCL) unless another process holds it;
 * a lock file not touched for `staleMs` belongs to a process that died and is
 * broken first. Returns whether this process now holds it.
 */
export async function tryTakeLockFile(lockPath: string, staleMs: number): Promise<boolean> {
  await mkdir(dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(`${process.pid} ${new Date().toISOString()}\n`);
      await handle.close();
      return true;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      const info = await stat(lockPath).catch(() => undefined);
      // Held by a live process: not ours. Released meanwhile, stale, or its holder gone: break it and try again.
      if (info !== undefined && Date.now() - info.mtimeMs <= staleMs && !(await holderIsGone(lockPath))) return false;
      if (info !== undefined) await unlink(lockPath).catch(() => undefined);
    }
  }
  return false;
}

/**
 * Whether the process that wrote the lock file has exited (the local lake runs on one machine, so
 * its pid says). A holder killed with SIGKILL never removes its lock; without this, every waiter
 * would wait out `staleMs`, longer than it is willing to wait.
 */
async function holderIsGone(lockPath: string): Promise<boolean> {
  const text = await readFile(lockPath, 'utf8').catch(() => '');
  const pid = Number(text.split(' ')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return errorCode(error) === 'ESRCH';
  }
}

async function withCrossProcessLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: { timeoutMs?: number; staleMs?: number },
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleMs = options.staleMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; !(await tryTakeLockFile(lockPath, staleMs)); delay = Math.min(delay * 2, 50)) {
    if (Date.now() > deadline) throw new LockTimeoutError(lockPath);
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

/**
 * `name: message` of a thrown value. Duck-typed rather than `instanceof Error`,
 * because native add-ons (DuckDB) and VM contexts throw errors of another realm.
 */
export function describeError(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') {
    const name = 'name' in error && typeof error.name === 'string' ? error.name : 'Error';
    return `${name}: ${error.message}`;
  }
  return 'non-error thrown';
}

/** The message of a thrown value (see describeError). */
export function errorMessage(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string'
    ? error.message
    : undefined;
}
