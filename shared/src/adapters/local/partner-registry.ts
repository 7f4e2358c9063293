/**
 * The PartnerRegistry port on disk: `$LAKE_HOME/partners/keys.json`, mode 0600
 * in a 0700 folder, as SSM SecureStrings are on AWS. It holds secrets, so a
 * file readable by others is refused rather than used.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PartnerKey } from '../../auth/partners';
import type { PartnerRegistry } from '../../ports';
import { errorCode, readJsonIfExists, withFileLock, writeFileAtomic } from './files';
import { KeyFileError } from './key-store';

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

  async function read(): Promise<PartnerKey[]> {
    let mode: number;
    try {
      mode = (await stat(path)).mode & 0o777;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    if ((mode & 0o077) !== 0) throw new KeyFileError(`${path} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it`);
    return (await readJsonIfExists<KeysFile>(path))?.keys ?? [];
  }

  return {
    path,
    async find(accessKeyId) {
      return (await read()).find((key) => key.accessKeyId === accessKeyId);
    },
    list: read,
    async add(key) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      await withFileLock(join(dir, '.lock'), async () => {
        const keys = await read();
        if (keys.some((k) => k.accessKeyId === key.accessKeyId)) throw new RangeError(`access key id ${key.accessKeyId} exists already`);
        await writeFileAtomic(dir, path, `${JSON.stringify({ keys: [...keys, key] } satisfies KeysFile, null, 2)}\n`, 0o600);
      });
    },
  };
}
