/**
 * The lake's ports on AWS: one SDK client per service, created once per
 * container and shared by every invocation. The only place that imports @aws-sdk/* clients.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { LakeDeps } from '../../ports';
import { systemClock } from '../../ports';
import { lakeNames } from '../../lake/names';
import { buildAthenaQueryEngine } from './athena-query-engine';
import type { LakeEnv } from './env';
import { buildEventBridgeBus } from './eventbridge-bus';
import { buildGlueCatalog } from './glue-catalog';
import { buildGlueCrawlers } from './glue-crawlers';
import { buildS3ObjectStore } from './s3-object-store';
import { buildSqsQueue } from './sqs-queue';
import { buildSsmKeyStore } from './ssm-key-store';
import { buildSsmPartnerRegistry, partnerKeysPrefix } from './ssm-partner-registry';
import { buildSsmSecretStore, connectorSecretsPrefix } from './ssm-secret-store';
import { type ConnectorSource, connectorFolder } from '../../connectors/connector-files';

export { readLakeEnv, MissingEnvironmentError, type LakeEnv } from './env';
export { buildS3ObjectStore } from './s3-object-store';
export { buildSqsQueue, QueueSendError, SQS_BATCH_LIMIT } from './sqs-queue';
export { buildEventBridgeBus, EventPublishError, EVENTBRIDGE_BATCH_LIMIT } from './eventbridge-bus';
export { buildGlueCatalog, PartitionRegistrationError, GLUE_PARTITION_BATCH_LIMIT } from './glue-catalog';
export { buildGlueCrawlers } from './glue-crawlers';
export { buildAthenaQueryEngine, toAthenaLiteral, ATHENA_MAX_PAGE } from './athena-query-engine';
export { buildSsmKeyStore, PseudonymizationKeyError } from './ssm-key-store';
export { buildSsmPartnerRegistry, partnerKeysPrefix, PartnerKeyParameterError } from './ssm-partner-registry';
export { buildSsmSecretStore, connectorSecretsPrefix } from './ssm-secret-store';

/**
 * Composes LakeDeps on AWS for `env`. Call it at module scope of a Lambda entry
 * (`src/functions/*.ts`) so clients and caches live as long as the container.
 * The connector files packaged with the function come beside the ports.
 */
export function awsLakeDeps(env: LakeEnv): LakeDeps & { connectors: ConnectorSource } {
  const names = lakeNames(env.stage);
  const region = env.region;
  const ssm = new SSMClient({ region });
  const glue = new GlueClient({ region });
  return {
    store: buildS3ObjectStore(new S3Client({ region })),
    queue: buildSqsQueue(new SQSClient({ region })),
    bus: buildEventBridgeBus(new EventBridgeClient({ region })),
    catalog: buildGlueCatalog(glue),
    crawlers: buildGlueCrawlers(glue),
    engine: buildAthenaQueryEngine(new AthenaClient({ region }), {
      workGroup: env.athenaWorkGroup,
      outputLocation: `s3://${names.buckets['query-results']}/athena/`,
    }),
    keys: buildSsmKeyStore(ssm, env.pseudonymizationKeyParameter),
    partners: buildSsmPartnerRegistry(ssm, partnerKeysPrefix(env.stage)),
    secrets: buildSsmSecretStore(ssm, connectorSecretsPrefix(env.stage)),
    connectors: connectorFolder(env.connectorsDir),
    clock: systemClock,
    names,
    region,
  };
}
