/**
 * What every KeyStore does: run by key-store.local.test.ts (the 0600 key file under
 * a temp LAKE_HOME, created on first use) and key-store.aws.test.ts (an SSM
 * SecureString over fakes/ssm.ts, created by the operator before the first deploy).
 */
import type { KeyStore } from '../../src/ports';

export interface KeyStoreSubject {
  keys: KeyStore;
  /** Another KeyStore over the same storage (another process, another Lambda container). */
  sameStorage(): KeyStore;
}

/** Defines the KeyStore contract; `open` gives a fresh store per test. */
export function keyStoreContract(open: () => Promise<KeyStoreSubject>): void {
  let subject: KeyStoreSubject;
  beforeEach(async () => {
    subject = await open();
  });

  it('answers a key of at least 32 bytes, the same one every time and from every process', async () => {
    const key = await subject.keys.pseudonymizationKey();

    expect(key.length).toBeGreaterThanOrEqual(32);
    expect(await subject.keys.pseudonymizationKey()).toEqual(key);
    expect(await subject.sameStorage().pseudonymizationKey()).toEqual(key);
  });
}
