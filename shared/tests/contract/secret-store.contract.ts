/**
 * What every SecretStore does: run by secret-store.local.test.ts (the 0600 file
 * under a temp LAKE_HOME) and secret-store.aws.test.ts (SSM over fakes/ssm.ts).
 */
import type { SecretStore } from '../../src/ports';
import { SecretNotFoundError } from '../../src/ports';

export interface SecretStoreSubject {
  secrets: SecretStore;
  /** Stores a secret the way an operator does on that platform. */
  store(name: string, value: string): Promise<void>;
}

/** Defines the SecretStore contract; `open` gives a fresh, empty store per test. */
export function secretStoreContract(open: () => Promise<SecretStoreSubject>): void {
  let subject: SecretStoreSubject;
  beforeEach(async () => {
    subject = await open();
  });

  it('answers a stored secret with its value', async () => {
    await subject.store('fitbit-client-secret', 's3cr3t-value');

    expect(await subject.secrets.get('fitbit-client-secret')).toBe('s3cr3t-value');
  });

  it('throws SecretNotFoundError naming the secret, never a value, when there is none', async () => {
    await subject.store('other', 'do-not-show');

    const lookup = subject.secrets.get('fitbit-client-secret');

    await expect(lookup).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(lookup).rejects.toMatchObject({ secretName: 'fitbit-client-secret' });
    await expect(lookup).rejects.not.toThrow(/do-not-show/);
  });

  it('takes an empty secret as no secret', async () => {
    await subject.store('empty', '');

    await expect(subject.secrets.get('empty')).rejects.toBeInstanceOf(SecretNotFoundError);
  });
}
