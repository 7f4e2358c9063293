import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalSecretStore } from '../../../../src/adapters/local/secret-store';

describe('the local secret store', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'pulse-lake-secrets-'));
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  it('keeps secrets in a 0600 file in a 0700 folder and names a missing one without values', async () => {
    // Prepare
    const secrets = buildLocalSecretStore(home);
    // Act
    await secrets.put({ 'pharmacy/api-key': 'sk-1' });
    await secrets.put({ 'fhir/client-secret': 'cs-2' });
    // Assess
    expect([await secrets.get('pharmacy/api-key'), await secrets.get('fhir/client-secret')]).toEqual(['sk-1', 'cs-2']);
    expect((await stat(secrets.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'secrets'))).mode & 0o777).toBe(0o700);
    await expect(secrets.get('nope')).rejects.toThrow(`no secret named nope in ${secrets.path}`);
  });

  it('refuses a secrets file other users can read', async () => {
    // Prepare
    const secrets = buildLocalSecretStore(home);
    await secrets.put({ 'pharmacy/api-key': 'sk-1' });
    await chmod(secrets.path, 0o644);
    // Act / Assess
    await expect(secrets.get('pharmacy/api-key')).rejects.toThrow(
      'is readable by other users (mode 644); run chmod 600 on it',
    );
  });
});
