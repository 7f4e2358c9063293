import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalPartnerRegistry } from '../../../../src/adapters/local/partner-registry';
import { newPartnerKey } from '../../../../src/auth/partners';

describe('the local partner registry', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'pulse-lake-partners-'));
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  it('keeps keys in a 0600 file in a 0700 folder and finds them by access key id', async () => {
    const registry = buildLocalPartnerRegistry(home);
    const sg = newPartnerKey('clinic-sg', new Date('2026-01-01T00:00:00Z'), ['vitals']);
    const us = newPartnerKey('clinic-us', new Date('2026-01-01T00:00:00Z'));

    await Promise.all([registry.add(sg), registry.add(us)]);

    expect(await registry.find(sg.accessKeyId)).toEqual(sg);
    expect(await registry.find(us.accessKeyId)).toEqual(us);
    expect(await registry.find('PLKNOSUCHKEY00000000')).toBeUndefined();
    expect((await stat(registry.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'partners'))).mode & 0o777).toBe(0o700);
    expect(sg.accessKeyId).toMatch(/^PLK[A-Z2-7]{17}$/);
    expect(sg.secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  it('finds a key another process added after this one had read the file', async () => {
    const server = buildLocalPartnerRegistry(home);
    const sg = newPartnerKey('clinic-sg', new Date('2026-01-01T00:00:00Z'));
    await server.add(sg);
    expect(await server.find(sg.accessKeyId)).toEqual(sg);

    const us = newPartnerKey('clinic-us', new Date('2026-01-01T00:00:00Z'));
    await buildLocalPartnerRegistry(home).add(us);

    expect(await server.find(us.accessKeyId)).toEqual(us);
    expect(await server.find(sg.accessKeyId)).toEqual(sg);
  });

  it('refuses a key file other users can read', async () => {
    const registry = buildLocalPartnerRegistry(home);
    const key = newPartnerKey('clinic-sg', new Date());
    await registry.add(key);
    await chmod(registry.path, 0o644);

    await expect(registry.find(key.accessKeyId)).rejects.toThrow(/readable by other users/);
  });

  it('refuses a partner id that is not a plain lower-case name', () => {
    expect(() => newPartnerKey('Clinic SG', new Date())).toThrow(/lower-case letters, digits and dashes/);
  });
});
