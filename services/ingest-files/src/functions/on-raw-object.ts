/** Lambda entry: AWS clients and env are composed once per container, outside the handler. */
import { awsLakeDeps, readLakeEnv } from '@pulse-lake/shared/adapters/aws/index';
import { createHandler } from '../handlers/on-raw-object';

// NORMALIZE_CHUNK_MIB (serverless.yml) sizes the chunks a large CSV is cut into; unset means the default.
const chunkMib = Number(process.env.NORMALIZE_CHUNK_MIB);
export const handler = createHandler(awsLakeDeps(readLakeEnv()), Number.isFinite(chunkMib) && chunkMib > 0 ? { chunkBytes: chunkMib * 1024 * 1024 } : {});
