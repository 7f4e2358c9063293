/**
 * The Lambda environment, read once per container through a function that
 * throws naming the variable that is missing.
 */
import { join } from 'node:path';

export interface LakeEnv {
  stage: string;
  region: string;
  athenaWorkGroup: string;
  /** SSM parameter name of the pseudonymization key (a SecureString). */
  pseudonymizationKeyParameter: string;
  /** The folder of connector files packaged with the function (CONNECTORS_DIR, default `connectors/` in the task root). */
  connectorsDir: string;
}

/** A variable the function needs is not set; serverless.yml's provider.environment should set it. */
export class MissingEnvironmentError extends Error {
  override name = 'MissingEnvironmentError';
  constructor(readonly variable: string) {
    super(
      `environment variable ${variable} is not set; it is set by provider.environment in the service's serverless.yml`,
    );
  }
}

/** Reads STAGE, AWS_REGION, ATHENA_WORKGROUP, PSEUDONYMIZATION_KEY_PARAMETER and CONNECTORS_DIR from `env` (default process.env). */
export function readLakeEnv(env: NodeJS.ProcessEnv = process.env): LakeEnv {
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined || value.trim() === '') throw new MissingEnvironmentError(name);
    return value.trim();
  };
  return {
    stage: required('STAGE'),
    region: required('AWS_REGION'),
    athenaWorkGroup: required('ATHENA_WORKGROUP'),
    pseudonymizationKeyParameter: required('PSEUDONYMIZATION_KEY_PARAMETER'),
    connectorsDir: env.CONNECTORS_DIR?.trim() || join(env.LAMBDA_TASK_ROOT ?? '.', 'connectors'),
  };
}
