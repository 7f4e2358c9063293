/** The ObjectStore contract on the S3 adapter, over the fake S3 of fakes/s3.ts (object-store.contract.ts). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildS3ObjectStore } from '../../src/adapters/aws/s3-object-store';
import { fakeS3 } from './fakes/s3';
import { objectStoreContract } from './object-store.contract';

describe('ObjectStore contract: S3', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  objectStoreContract(async () => {
    const scratchDir = await mkdtemp(join(tmpdir(), 'contract-s3-'));
    dirs.push(scratchDir);
    // Two keys a page, so a listing of a few objects follows continuation tokens.
    const client = fakeS3(['pulse-lake-test-raw'], { listPageSize: 2 });
    return { store: buildS3ObjectStore(client), bucket: 'pulse-lake-test-raw', scratchDir };
  });
});
