/** Lambda entry: AWS clients and env are composed once per container, outside the handler. */
import { awsLakeDeps, readLakeEnv } from '@pulse-lake/shared/adapters/aws/index';
import { createHandler } from '../handlers/run-connectors';

export const handler = createHandler(awsLakeDeps(readLakeEnv()));
