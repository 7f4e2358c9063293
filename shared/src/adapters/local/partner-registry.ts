/**
 * The PartnerRegistry port on disk: `$LAKE_HOME/partners/keys.json`, mode 0600
 * in a 0700 folder, as SSM SecureStrings are on AWS. It holds secrets, so a
 * file readable by others is refused rather than used.
 */
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PartnerKey, PartnerRegistry } from '../../ports';
import { readJsonIfExists, withFileLock, writeFileAtomic } from './files';
import { privateFileStats } from './key-store';

export interface LocalPartnerRegistry extends PartnerRegistry {
  readonly path: string;
  /** Stores a new key (its access key id must be new). */
  add(key: PartnerKey): Promise<void>;
  /** Every key, secrets included: for the operator's CLI only. */
  list(): Promise<PartnerKey[]>;
}

interface KeysFile {
  keys: PartnerKey[];
}

export function buildLocalPartnerRegistry(home: string): LocalPartnerRegistry {
  const dir = join(home, 'partners');
  const path = join(dir, 'keys.json');

  // Every signed request looks its key up: the parsed file is kept while the file is the same
  // (keys are added by writing a new file, from any process, so a new inode or mtime means a reread).
  let kept: { version: string; keys: PartnerKey[] } | undefined;

  async function read(): Promise<PartnerKey[]> {
    const stats = await privateFileStats(path);
    if (stats === undefined) return [];
    const version = `${stats.ino}:${stats.mtimeMs}:${stats.size}`;
    if (kept?.version === version) return kept.keys;
    const keys = (await readJsonIfExists<KeysFile>(path))?.keys ?? [];
    kept = { version, keys };
    return keys;
  }

  return {
    path,
    async find(accessKeyId) {
      return (await read()).find((key) => key.accessKeyId === accessKeyId);
    },
    list: async () => [...(await read())],
    async add(key) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      await withFileLock(join(dir, '.lock'), async () => {
        const keys = await read();
        if (keys.some((k) => k.accessKeyId === key.accessKeyId))
          throw new RangeError(`access key id ${key.accessKeyId} exists already`);
        await writeFileAtomic(
          dir,
          path,
          `${JSON.stringify({ keys: [...keys, key] } satisfies KeysFile, null, 2)}\n`,
          0o600,
        );
      });
    },
  };
}
