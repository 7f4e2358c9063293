import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyFileError, buildLocalKeyStore } from '../../../../src/adapters/local/key-store';

describe('local key store', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-keys-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('creates a 32-byte key on first use, readable by the owner only, and keeps it', async () => {
    const key = await buildLocalKeyStore(home).pseudonymizationKey();

    expect(key).toHaveLength(32);
    expect((await stat(join(home, 'keys', 'pseudonymization.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'keys'))).mode & 0o777).toBe(0o700);
    expect((await buildLocalKeyStore(home).pseudonymizationKey()).equals(key)).toBe(true);
  });

  it('yields one key when many stores create it at once', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => buildLocalKeyStore(home).pseudonymizationKey()));
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(1);
  });

  it('refuses a key file other users can read, or of the wrong size', async () => {
    const store = buildLocalKeyStore(home);
    await store.pseudonymizationKey();
    await chmod(store.keyPath, 0o644);
    await expect(buildLocalKeyStore(home).pseudonymizationKey()).rejects.toThrow(
      /readable by other users \(mode 644\); run chmod 600/,
    );

    await writeFile(store.keyPath, 'short', { mode: 0o600 });
    await chmod(store.keyPath, 0o600);
    await expect(buildLocalKeyStore(home).pseudonymizationKey()).rejects.toBeInstanceOf(KeyFileError);
  });
});
