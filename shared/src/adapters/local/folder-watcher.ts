/**
 * Turns files dropped into a bucket folder by hand (Finder, `cp`, an SFTP
 * drop) into S3 ObjectCreated notifications. Polling, not fs.watch: it behaves
 * the same on every OS and network share. A file counts as created once its
 * size and mtime hold still across two polls, so a half-copied file is never
 * announced. What was announced is remembered under `$LAKE_HOME/state/`, so a
 * restart does not announce the same drop twice.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { describeError, errorCode, readJsonIfExists, TEMP_PREFIX, writeFileAtomic } from './files';
import type { LocalObjectStore } from './object-store';

export interface FolderWatcher {
  /** Polls once now (the timer calls this every interval); resolves when announcements are sent. */
  poll(): Promise<void>;
  stop(): Promise<void>;
}

export interface FolderWatcherOptions {
  intervalMs?: number;
  onError?: (error: unknown) => void;
}

/** Editors, browsers and office suites write these while a file is still being produced. */
function isScratchFile(name: string): boolean {
  return name.startsWith('.') || name.startsWith('~$') || /\.(tmp|part|crdownload|swp)$/i.test(name);
}

/** Watches `bucket`'s folder in `store` and announces hand-dropped files through the store's listeners. */
export function watchBucketFolder(
  store: LocalObjectStore,
  bucket: string,
  options: FolderWatcherOptions = {},
): FolderWatcher {
  const root = store.bucketPath(bucket);
  const statePath = join(store.home, 'state', `folder-watch-${bucket}.json`);
  const previous = new Map<string, string>();
  let announced: Record<string, string> | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function scan(): Promise<Map<string, string>> {
    const seen = new Map<string, string>();
    async function walk(dir: string): Promise<void> {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        if (entry.name.startsWith(TEMP_PREFIX) || isScratchFile(entry.name)) continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile()) {
          const stats = await stat(path).catch(() => undefined);
          if (stats !== undefined)
            seen.set(relative(root, path).split(sep).join('/'), `${stats.size}:${stats.mtimeMs}`);
        }
      }
    }
    await walk(root);
    return seen;
  }

  async function pollOnce(): Promise<void> {
    announced ??= (await readJsonIfExists<Record<string, string>>(statePath)) ?? {};
    const state = announced;
    const current = await scan();
    let changed = false;
    for (const [key, signature] of current) {
      const stable = previous.get(key) === signature;
      if (!stable || state[key] === signature) continue;
      state[key] = signature;
      changed = true;
      // The store announces its own writes; only files it did not write are news.
      if (await store.writtenThroughStore(bucket, key)) continue;
      await store.announce(bucket, key);
    }
    for (const key of Object.keys(state)) {
      if (!current.has(key)) {
        delete state[key];
        changed = true;
      }
    }
    previous.clear();
    for (const [key, signature] of current) previous.set(key, signature);
    if (changed) await writeFileAtomic(join(store.home, 'tmp'), statePath, JSON.stringify(state));
  }

  const poll = async (): Promise<void> => {
    // One poll at a time: a slow scan must not overlap the next tick.
    running ??= pollOnce().finally(() => {
      running = undefined;
    });
    await running;
  };
  const onError =
    options.onError ??
    ((error: unknown) => process.stderr.write(`[pulse-lake local folder-watch] ${describeError(error)}\n`));
  const timer = setInterval(() => {
    if (!stopped) poll().catch(onError);
  }, options.intervalMs ?? 500);
  timer.unref();

  return {
    poll,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
