/** Lambda entry: AWS clients and env are composed once per container, outside the handler. */
import { awsLakeDeps, readLakeEnv } from '@pulse-lake/shared/adapters/aws/index';
import { createHandler } from '../handlers/compact';

export const handler = createHandler(awsLakeDeps(readLakeEnv()));
