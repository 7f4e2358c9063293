/**
 * The pseudonymization key on disk: `$LAKE_HOME/keys/pseudonymization.key`,
 * 32 random bytes, file mode 0600 in a 0700 folder. Two processes starting
 * at once must agree on ONE key (or tokens would not join), so the key is
 * written complete to a temp file and hard-linked into place: link() fails if
 * the name exists, and the loser reads the winner's key.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import type { KeyStore } from '../../ports';
import { errorCode, readJsonIfExists, writeTemp } from './files';

const KEY_BYTES = 32;

/** The key file exists but cannot be trusted (wrong size, readable by others). */
export class KeyFileError extends Error {
  override name = 'KeyFileError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The stats of a secrets file, or undefined when there is none; refused when
 * other users can read it: it would be as good as published.
 */
export async function privateFileStats(path: string): Promise<Stats | undefined> {
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new KeyFileError(`${path} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it`);
  return stats;
}

/** A JSON file of secrets (mode 0600), or undefined when there is none; refused when others can read it. */
export async function readPrivateJson<T>(path: string): Promise<T | undefined> {
  return (await privateFileStats(path)) !== undefined ? readJsonIfExists<T>(path) : undefined;
}

export interface LocalKeyStore extends KeyStore {
  readonly keyPath: string;
}

/** Builds the file-backed key store under `home` (LAKE_HOME). */
export function buildLocalKeyStore(home: string): LocalKeyStore {
  const dir = join(home, 'keys');
  const keyPath = join(dir, 'pseudonymization.key');
  let cached: Promise<Buffer> | undefined;

  async function read(): Promise<Buffer | undefined> {
    let key: Buffer;
    try {
      key = await readFile(keyPath);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    await privateFileStats(keyPath);
    if (key.length !== KEY_BYTES)
      throw new KeyFileError(
        `${keyPath} holds ${key.length} bytes, expected ${KEY_BYTES}; restore the original key file`,
      );
    return key;
  }

  async function loadOrCreate(): Promise<Buffer> {
    const existing = await read();
    if (existing !== undefined) return existing;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const temp = await writeTemp(dir, randomBytes(KEY_BYTES), 0o600);
    try {
      await chmod(temp, 0o600);
      await link(temp, keyPath);
    } catch (error) {
      // EEXIST: another process created the key first; theirs is the key.
      if (errorCode(error) !== 'EEXIST') throw error;
    } finally {
      await rm(temp, { force: true });
    }
    const key = await read();
    if (key === undefined) throw new KeyFileError(`${keyPath} vanished while it was being created`);
    return key;
  }

  return {
    keyPath,
    pseudonymizationKey() {
      cached ??= loadOrCreate().catch((error: unknown) => {
        cached = undefined;
        throw error;
      });
      return cached.then((key) => Buffer.from(key));
    },
  };
}
