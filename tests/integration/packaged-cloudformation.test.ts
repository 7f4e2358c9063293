/**
 * Reads the CloudFormation that `npm run package` writes for each service and
 * checks what must hold before anything is deployed (docs/deploy.md): every
 * function is wired to its event source and runs under a role of its own that
 * reaches only the buckets, prefixes and resources it needs; buckets, queues,
 * the telemetry table and Athena results are encrypted with the lake's key;
 * queues have DLQs and alarms; functions are traced, log JSON and alarm on
 * errors and throttles; cross-service references resolve in compose order.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readServiceFile } from '../../local/src/runtime/service-files';
import { DATASETS } from '../../shared/src/datasets/registry';
import { lakeNames } from '../../shared/src/lake/names';
import type { Zone } from '../../shared/src/ports';
import { ensurePackaged, root, SERVICES, STAGE, templatePath } from './packaged-services';

const names = lakeNames(STAGE);

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string[];
}
type Template = { Resources: Record<string, Resource>; Outputs?: Record<string, { Export?: { Name?: unknown } }> };
interface Statement {
  Effect?: string;
  Action?: unknown;
  Resource?: unknown;
}

const templates = new Map<string, Template>();

beforeAll(async () => {
  await ensurePackaged();
  for (const service of SERVICES)
    templates.set(service, JSON.parse(readFileSync(templatePath(service), 'utf8')) as Template);
}, 600_000);

function template(service: string): Template {
  const t = templates.get(service);
  if (t === undefined) throw new Error(`no packaged template for ${service}`);
  return t;
}

function resourcesOfType(t: Template, type: string): [string, Resource][] {
  return Object.entries(t.Resources).filter(([, r]) => r.Type === type);
}

/** Every IAM policy statement in the template: role policies and standalone policies. */
function iamStatements(t: Template): Statement[] {
  const statements: Statement[] = [];
  for (const [, r] of Object.entries(t.Resources)) {
    if (r.Type !== 'AWS::IAM::Role' && r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const documents: unknown[] = [];
    const props = r.Properties ?? {};
    if (Array.isArray(props['Policies']))
      for (const p of props['Policies'] as { PolicyDocument?: unknown }[]) documents.push(p.PolicyDocument);
    if (props['PolicyDocument'] !== undefined) documents.push(props['PolicyDocument']);
    for (const doc of documents) {
      const list = (doc as { Statement?: unknown } | undefined)?.Statement;
      if (Array.isArray(list)) statements.push(...(list as Statement[]));
    }
  }
  return statements;
}

const list = (value: unknown): unknown[] => ([] as unknown[]).concat(value ?? []);
const LAKE_KEY = [
  { 'Fn::GetAtt': ['LakeKey', 'Arn'] },
  { Ref: 'LakeKey' },
  { 'Fn::ImportValue': `pulse-lake-${STAGE}-key-arn` },
];
const ACCESS_LOGS = `pulse-lake-${STAGE}-access-logs`;
/** Services whose every action is data: a "*" resource on them is never least privilege. */
const DATA_SERVICES = ['s3', 'sqs', 'glue', 'athena', 'dynamodb', 'kms'];

/** The statements a role grants: its inline policies and the template's managed policies it attaches. */
function roleStatements(t: Template, roleId: string): Statement[] {
  const props = t.Resources[roleId]?.Properties ?? {};
  const documents = (list(props['Policies']) as { PolicyDocument?: unknown }[]).map((p) => p.PolicyDocument);
  for (const arn of list(props['ManagedPolicyArns'])) {
    const managed = t.Resources[String((arn as { Ref?: unknown }).Ref)];
    expect({ roleId, arn, type: managed?.Type }).toEqual({ roleId, arn, type: 'AWS::IAM::ManagedPolicy' });
    documents.push(managed?.Properties?.['PolicyDocument']);
  }
  return documents.flatMap((d) => list((d as { Statement?: unknown } | undefined)?.Statement) as Statement[]);
}

interface FunctionRole {
  service: string;
  functionId: string;
  roleId: string;
  statements: Statement[];
}

function functionRoles(service: string): FunctionRole[] {
  const t = template(service);
  return resourcesOfType(t, 'AWS::Lambda::Function').map(([functionId, r]) => {
    const roleId = String((r.Properties?.['Role'] as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt']?.[0]);
    return { service, functionId, roleId, statements: roleStatements(t, roleId) };
  });
}

/** `arn:aws:s3:::bucket/path` as bucket and path; S3 statements name lake buckets literally. */
function s3Target(resource: unknown): { bucket: string; path: string } {
  expect(typeof resource).toBe('string');
  const match = /^arn:aws:s3:::([^/]+)(?:\/(.*))?$/.exec(String(resource));
  expect({ resource, s3Arn: match !== null }).toEqual({ resource, s3Arn: true });
  return { bucket: match?.[1] ?? '', path: match?.[2] ?? '' };
}

/** The buckets a function's role can reach with any S3 action. */
function s3BucketsOf(role: FunctionRole): Set<string> {
  const buckets = new Set<string>();
  for (const statement of role.statements) {
    if (statement.Effect !== 'Allow' || !list(statement.Action).some((a) => String(a).startsWith('s3:'))) continue;
    for (const resource of list(statement.Resource)) buckets.add(s3Target(resource).bucket);
  }
  return buckets;
}

function allTemplatesResourcesOfType(type: string): [string, Resource, string][] {
  return SERVICES.flatMap((service) =>
    resourcesOfType(template(service), type).map(([id, r]) => [id, r, service] as [string, Resource, string]),
  );
}

/** Lake buckets (not serverless' own deployment bucket), by name. */
function lakeBuckets(): Map<string, { id: string; props: Record<string, unknown> }> {
  const buckets = new Map<string, { id: string; props: Record<string, unknown> }>();
  for (const [id, r] of allTemplatesResourcesOfType('AWS::S3::Bucket')) {
    const name = r.Properties?.['BucketName'];
    if (typeof name === 'string') buckets.set(name, { id, props: r.Properties ?? {} });
  }
  return buckets;
}

/** Every value under `key` anywhere in `value` (e.g. every Fn::ImportValue). */
function valuesOf(value: unknown, key: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => valuesOf(v, key));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => (k === key ? [v, ...valuesOf(v, key)] : valuesOf(v, key)));
}

function alarmsOn(t: Template, metric: string, dimension: unknown): Record<string, unknown>[] {
  return resourcesOfType(t, 'AWS::CloudWatch::Alarm')
    .map(([, r]) => r.Properties ?? {})
    .filter((a) => a['MetricName'] === metric && JSON.stringify(a['Dimensions']) === JSON.stringify(dimension));
}

describe('packaged CloudFormation', () => {
  it.each(SERVICES)('wires every function of %s to an event source', (service) => {
    const t = template(service);
    const functions = resourcesOfType(t, 'AWS::Lambda::Function').map(([id]) => id);
    expect(functions.length).toBeGreaterThan(0);
    const wiring = Object.values(t.Resources).filter((r) =>
      ['AWS::Lambda::EventSourceMapping', 'AWS::Lambda::Permission', 'AWS::Events::Rule'].includes(r.Type),
    );
    for (const id of functions) {
      const wired = wiring.some((r) => JSON.stringify(r.Properties ?? {}).includes(`"${id}"`));
      expect({ function: id, wired }).toEqual({ function: id, wired: true });
    }
  });

  it('gives the normalize queue a dead-letter queue, a redrive policy and a visibility timeout of six function timeouts', () => {
    const t = template('ingest-files');
    const queues = resourcesOfType(t, 'AWS::SQS::Queue').map(([id, r]) => ({ id, props: r.Properties ?? {} }));
    const queue = queues.find((q) => q.props['QueueName'] === names.queues.normalize);
    const dlq = queues.find((q) => q.props['QueueName'] === names.queues.normalizeDlq);
    expect(queue).toBeDefined();
    expect(dlq).toBeDefined();
    const redrive = queue?.props['RedrivePolicy'] as
      | { deadLetterTargetArn?: unknown; maxReceiveCount?: number }
      | undefined;
    expect(redrive?.maxReceiveCount).toBe(5);
    expect(redrive?.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': [dlq?.id, 'Arn'] });
    const consumer = resourcesOfType(t, 'AWS::Lambda::Function').find(([id]) => id.startsWith('NormalizeDashchunk'));
    const timeout = Number(consumer?.[1].Properties?.['Timeout']);
    expect(Number(queue?.props['VisibilityTimeout'])).toBeGreaterThanOrEqual(6 * timeout);
    const mapping = resourcesOfType(t, 'AWS::Lambda::EventSourceMapping')[0]?.[1].Properties ?? {};
    expect(mapping['FunctionResponseTypes']).toEqual(['ReportBatchItemFailures']);
  });

  it('feeds the stream function from a NEW_IMAGE stream with retries, bisection and an on-failure queue', () => {
    const t = template('stream');
    const table = resourcesOfType(t, 'AWS::DynamoDB::Table')[0]?.[1].Properties ?? {};
    expect(table['BillingMode']).toBe('PAY_PER_REQUEST');
    expect(table['StreamSpecification']).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(table['PointInTimeRecoverySpecification']).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(LAKE_KEY).toContainEqual((table['SSESpecification'] as { KMSMasterKeyId?: unknown }).KMSMasterKeyId);
    expect(table['SSESpecification']).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
    const mapping = resourcesOfType(t, 'AWS::Lambda::EventSourceMapping')[0]?.[1].Properties ?? {};
    expect(mapping['BisectBatchOnFunctionError']).toBe(true);
    expect(mapping['FunctionResponseTypes']).toEqual(['ReportBatchItemFailures']);
    expect(JSON.stringify(mapping['DestinationConfig'])).toContain('TelemetryStreamDeadLetterQueue');
  });

  it('names the Glue databases as lakeNames() does', () => {
    const databases = resourcesOfType(template('etl-trigger'), 'AWS::Glue::Database').map(
      ([, r]) => (r.Properties?.['DatabaseInput'] as { Name?: string }).Name,
    );
    expect(databases.sort()).toEqual([names.databases.curated, names.databases.staging].sort());
  });

  it('routes Partitions Written events from the lake to the catalog function', () => {
    const rules = resourcesOfType(template('etl-trigger'), 'AWS::Events::Rule').map(([, r]) => r.Properties ?? {});
    const patterned = rules.filter((rule) => rule['EventPattern'] !== undefined);
    expect(patterned.map((rule) => rule['EventPattern'])).toEqual([
      { source: [names.eventSource], 'detail-type': ['Partitions Written'] },
    ]);
  });

  it('sweeps the raw zone and compacts curated partitions every hour', () => {
    const rules = resourcesOfType(template('etl-trigger'), 'AWS::Events::Rule').map(([, r]) => r.Properties ?? {});
    const scheduled = rules
      .filter((rule) => rule['ScheduleExpression'] !== undefined)
      .map((rule) => {
        const [target] = rule['Targets'] as { Arn: { 'Fn::GetAtt': [string, string] } }[];
        return [target?.Arn['Fn::GetAtt'][0], rule['ScheduleExpression']];
      });
    expect(scheduled.sort()).toEqual([
      ['CompactLambdaFunction', 'rate(1 hour)'],
      ['ReconcileLambdaFunction', 'rate(1 hour)'],
    ]);
  });

  it('checks the connectors every minute, and lets them read only the connector secrets of the stage', () => {
    const t = template('ingest-api');
    const rules = resourcesOfType(t, 'AWS::Events::Rule').map(([, r]) => r.Properties ?? {});
    expect(rules.map((rule) => rule['ScheduleExpression'])).toEqual(['rate(1 minute)']);
    expect(JSON.stringify(rules[0]?.['Targets'])).toContain('RunDashconnectorsLambdaFunction');
    const ssm = iamStatements(t).filter((s) => JSON.stringify(s.Action).includes('ssm:GetParameter'));
    expect(ssm.map((s) => JSON.stringify(s.Resource))).toEqual([
      expect.stringContaining(':parameter/pulse-lake/dev/partners/*'),
      expect.stringContaining(':parameter/pulse-lake/dev/connectors/*'),
    ]);
  });

  it('leaves partner signatures of the push API to its handlers (partners and gateways are not IAM principals)', () => {
    // The handlers' own check is exercised in services/ingest-api/tests/unit/push-batch.test.ts and local/tests/integration/partner-api.test.ts.
    const methods = resourcesOfType(template('ingest-api'), 'AWS::ApiGateway::Method').filter(
      ([, r]) => r.Properties?.['HttpMethod'] !== 'OPTIONS',
    );
    expect(methods.map(([, m]) => m.Properties?.['HttpMethod']).sort()).toEqual(['GET', 'POST']);
    for (const [, method] of methods) expect(method.Properties?.['AuthorizationType']).toBe('NONE');
  });

  it('leaves partner signatures of the query API to its handlers (partners are not IAM principals), with /health as the one route that is not /v1', () => {
    // The handlers' own check is exercised route by route in local/tests/integration/partner-api.test.ts.
    const resources = resourcesOfType(template('query-api'), 'AWS::ApiGateway::Resource').map(([, r]) =>
      String(r.Properties?.['PathPart']),
    );
    const methods = resourcesOfType(template('query-api'), 'AWS::ApiGateway::Method').filter(
      ([, r]) => r.Properties?.['HttpMethod'] !== 'OPTIONS',
    );
    expect(resources.sort()).toEqual(
      ['executions', 'executions', 'health', 'openapi.json', 'queries', 'results', 'v1', '{id}', '{name}'].sort(),
    );
    expect(methods).toHaveLength(6);
    for (const [, method] of methods) expect(method.Properties?.['AuthorizationType']).toBe('NONE');
  });
});

describe('least-privilege IAM, per function', () => {
  it.each(SERVICES)(
    'runs every function of %s under a role of its own that only Lambda assumes, writing only its own log group',
    (service) => {
      const t = template(service);
      const roles = functionRoles(service);
      expect(resourcesOfType(t, 'AWS::IAM::Role').map(([id]) => id)).not.toContain('IamRoleLambdaExecution');
      expect(new Set(roles.map((r) => r.roleId)).size).toBe(roles.length);
      for (const { functionId, roleId, statements } of roles) {
        const role = t.Resources[roleId];
        expect({ functionId, roleType: role?.Type }).toEqual({ functionId, roleType: 'AWS::IAM::Role' });
        expect(role?.Properties?.['AssumeRolePolicyDocument']).toEqual({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        });
        const logs = statements.filter((st) => list(st.Action).some((a) => String(a).startsWith('logs:')));
        expect({ functionId, logs: logs.map((st) => st.Resource) }).toEqual({
          functionId,
          logs: [{ 'Fn::GetAtt': [functionId.replace(/LambdaFunction$/, 'LogGroup'), 'Arn'] }],
        });
      }
    },
  );

  it.each(SERVICES)(
    'grants no wildcard action in %s, and no "*" resource on S3, SQS, Glue, Athena, DynamoDB or KMS',
    (service) => {
      const statements = iamStatements(template(service));
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        const actions = list(statement.Action).map(String);
        for (const action of actions)
          expect({ action, wildcard: action.includes('*') }).toEqual({ action, wildcard: false });
        if (statement.Effect !== 'Allow') continue;
        const resources = list(statement.Resource);
        // X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions: "*" is the only resource they take.
        if (resources.includes('*')) expect(actions.every((a) => a.startsWith('xray:'))).toBe(true);
        if (!actions.some((a) => DATA_SERVICES.includes(a.split(':')[0] ?? ''))) continue;
        for (const resource of resources) expect({ actions, resource }).not.toEqual({ actions, resource: '*' });
        if (actions.some((a) => a.startsWith('s3:'))) {
          for (const resource of resources) {
            const { bucket } = s3Target(resource);
            expect(Object.values(names.buckets)).toContain(bucket);
          }
        }
      }
    },
  );

  it('never lets the query API reach the raw, drop zone or rejects buckets', () => {
    for (const role of functionRoles('query-api')) {
      for (const bucket of s3BucketsOf(role))
        expect({ role: role.roleId, bucket }).toEqual({
          role: role.roleId,
          bucket: expect.stringMatching(/-(curated|query-results)$/),
        });
    }
    // Athena reads curated Parquet as the caller: the curated/ prefix, never the audit trail or manifests.
    const reads = functionRoles('query-api').flatMap((r) =>
      r.statements.filter((st) => list(st.Action).includes('s3:GetObject')).flatMap((st) => list(st.Resource)),
    );
    const curatedReads = reads.map(s3Target).filter((target) => target.bucket === names.buckets.curated);
    expect(curatedReads.map((target) => target.path)).toEqual(curatedReads.map(() => 'curated/*'));
  });

  it('never lets the ingest and normalize functions reach query results', () => {
    const ingesting = (['ingest-files', 'ingest-api', 'stream', 'etl-trigger'] as const).flatMap(functionRoles);
    expect(ingesting.length).toBeGreaterThan(5);
    for (const role of ingesting)
      expect({ role: role.roleId, buckets: [...s3BucketsOf(role)] }).not.toEqual({
        role: role.roleId,
        buckets: expect.arrayContaining([names.buckets['query-results']]),
      });
  });

  it('lets every function that reads a bucket list it, so that a missing key is a 404 and not a 403', () => {
    for (const role of SERVICES.flatMap(functionRoles)) {
      const granted = (action: string) =>
        role.statements
          .filter((st) => st.Effect === 'Allow' && list(st.Action).includes(action))
          .flatMap((st) => list(st.Resource).map((r) => s3Target(r)));
      const listed = new Set(
        granted('s3:ListBucket')
          .filter((t) => t.path === '')
          .map((t) => t.bucket),
      );
      for (const { bucket } of granted('s3:GetObject'))
        expect({ role: role.roleId, reads: bucket, lists: listed.has(bucket) }).toEqual({
          role: role.roleId,
          reads: bucket,
          lists: true,
        });
    }
  });

  it('gives the drop zone only to the function that lands its files, read-only', () => {
    const withDropzone = SERVICES.flatMap(functionRoles).filter((role) =>
      s3BucketsOf(role).has(names.buckets.dropzone),
    );
    expect(withDropzone.map((role) => role.roleId)).toEqual(['OnDropZoneObjectRole']);
    const actions = withDropzone[0]?.statements
      .filter((st) => list(st.Resource).some((r) => String(r).includes(names.buckets.dropzone)))
      .flatMap((st) => list(st.Action));
    expect(actions?.sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
  });
});

describe('buckets', () => {
  const zoneBucket = (zone: Zone) => {
    const bucket = lakeBuckets().get(names.buckets[zone]);
    if (bucket === undefined) throw new Error(`no bucket ${names.buckets[zone]} in any template`);
    return bucket.props;
  };
  const lifecycleRules = (props: Record<string, unknown>) =>
    list((props['LifecycleConfiguration'] as { Rules?: unknown } | undefined)?.Rules) as Record<string, unknown>[];

  it('declares every lake bucket, and the access-logs bucket', () => {
    expect([...lakeBuckets().keys()].sort()).toEqual([...Object.values(names.buckets), ACCESS_LOGS].sort());
  });

  it('encrypts every bucket, the access-logs bucket included, with the lake key (SSE-KMS, bucket keys on), which S3 log delivery may use', () => {
    for (const [name, { props }] of lakeBuckets()) {
      const rule =
        (props['BucketEncryption'] as { ServerSideEncryptionConfiguration?: Record<string, unknown>[] })
          .ServerSideEncryptionConfiguration?.[0] ?? {};
      const byDefault = rule['ServerSideEncryptionByDefault'] as { SSEAlgorithm?: string; KMSMasterKeyID?: unknown };
      expect({ name, algorithm: byDefault.SSEAlgorithm, bucketKey: rule['BucketKeyEnabled'] }).toEqual({
        name,
        algorithm: 'aws:kms',
        bucketKey: true,
      });
      expect(LAKE_KEY).toContainEqual(byDefault.KMSMasterKeyID);
    }
    const keyPolicy = resourcesOfType(template('ingest-files'), 'AWS::KMS::Key')[0]?.[1].Properties?.['KeyPolicy'] as {
      Statement: Record<string, unknown>[];
    };
    expect(keyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
  });

  it('closes every bucket to the public, enforces bucket ownership and denies requests without TLS', () => {
    const policies = allTemplatesResourcesOfType('AWS::S3::BucketPolicy').map(([, r]) => r.Properties ?? {});
    for (const [name, { id, props }] of lakeBuckets()) {
      expect({ name, block: props['PublicAccessBlockConfiguration'] }).toEqual({
        name,
        block: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      });
      expect({ name, ownership: props['OwnershipControls'] }).toEqual({
        name,
        ownership: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
      const policy = policies.find(
        (p) => p['Bucket'] === name || JSON.stringify(p['Bucket']) === JSON.stringify({ Ref: id }),
      );
      const denies = list((policy?.['PolicyDocument'] as { Statement?: unknown } | undefined)?.Statement) as Record<
        string,
        unknown
      >[];
      const tls = denies.find(
        (st) =>
          st['Effect'] === 'Deny' &&
          JSON.stringify(st['Condition']) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
      );
      expect({
        name,
        tlsOnly: tls?.['Principal'] === '*' && tls['Action'] === 's3:*' && list(tls['Resource']).length === 2,
      }).toEqual({ name, tlsOnly: true });
    }
  });

  it('versions the raw and curated zones and keeps their current objects', () => {
    for (const zone of ['raw', 'curated'] as const) {
      const props = zoneBucket(zone);
      expect(props['VersioningConfiguration']).toEqual({ Status: 'Enabled' });
      expect(
        lifecycleRules(props).map((rule) => [
          rule['ExpirationInDays'],
          typeof rule['NoncurrentVersionExpirationInDays'],
        ]),
      ).toEqual([[undefined, 'number']]);
    }
  });

  it('expires drop zone objects after the ingestion window, query results after 7 days and rejects after their retention', () => {
    const expiry = (zone: Zone) => lifecycleRules(zoneBucket(zone)).map((rule) => rule['ExpirationInDays']);
    // The dev stage's params (serverless.yml `params.default`); prod's are checked below.
    expect(expiry('dropzone')).toEqual([7]);
    expect(expiry('query-results')).toEqual([7]);
    expect(expiry('rejects')).toEqual([90]);
  });

  it('logs access to every lake bucket in the access-logs bucket, which takes S3 log delivery for the lake buckets only', () => {
    for (const [name, { props }] of lakeBuckets()) {
      if (name === ACCESS_LOGS) continue;
      const destination = (props['LoggingConfiguration'] as { DestinationBucketName?: unknown } | undefined)
        ?.DestinationBucketName;
      expect({ name, destination }).toEqual({ name, destination: expect.anything() });
      expect([ACCESS_LOGS, { Ref: 'AccessLogsBucket' }]).toContainEqual(destination);
    }
    const policy = template('ingest-files').Resources['AccessLogsBucketPolicy']?.Properties?.['PolicyDocument'] as {
      Statement: Record<string, unknown>[];
    };
    const delivery = policy.Statement.find((st) => st['Effect'] === 'Allow');
    expect(delivery?.['Principal']).toEqual({ Service: 'logging.s3.amazonaws.com' });
    expect(delivery?.['Condition']).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: { 'aws:SourceArn': `arn:aws:s3:::pulse-lake-${STAGE}-*` },
    });
  });
});

describe('queues and alarms', () => {
  const queues = () =>
    SERVICES.flatMap((service) =>
      resourcesOfType(template(service), 'AWS::SQS::Queue').map(([id, r]) => ({
        service,
        id,
        props: r.Properties ?? {},
      })),
    );
  /** A DLQ is a redrive target, or the on-failure destination of a stream mapping or of a function's async invocations. */
  function isDeadLetterQueue(service: string, id: string): boolean {
    const t = template(service);
    const target = JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] });
    const redriven = resourcesOfType(t, 'AWS::SQS::Queue').some(
      ([, r]) =>
        JSON.stringify(
          (r.Properties?.['RedrivePolicy'] as { deadLetterTargetArn?: unknown } | undefined)?.deadLetterTargetArn,
        ) === target,
    );
    const onFailure = [
      ...resourcesOfType(t, 'AWS::Lambda::EventSourceMapping'),
      ...resourcesOfType(t, 'AWS::Lambda::EventInvokeConfig'),
    ].some(([, r]) => JSON.stringify(r.Properties?.['DestinationConfig'] ?? {}).includes(target));
    return redriven || onFailure;
  }

  it('encrypts every queue with the lake key, and gives every queue that is not a DLQ a DLQ and a maxReceiveCount', () => {
    expect(queues().length).toBeGreaterThanOrEqual(3);
    for (const { service, id, props } of queues()) {
      expect(LAKE_KEY).toContainEqual(props['KmsMasterKeyId']);
      expect(props).not.toHaveProperty('SqsManagedSseEnabled');
      if (isDeadLetterQueue(service, id)) continue;
      const redrive = props['RedrivePolicy'] as { maxReceiveCount?: number } | undefined;
      expect({ id, maxReceiveCount: redrive?.maxReceiveCount }).toEqual({ id, maxReceiveCount: expect.any(Number) });
    }
  });

  it('keeps the events of S3-triggered and catalog functions that failed every retry in a DLQ the function may write to', () => {
    const asyncFunctions = {
      'ingest-files': ['OnDashdropDashzoneDashobjectLambdaFunction', 'OnDashrawDashobjectLambdaFunction'],
      'etl-trigger': ['OnDashpartitionsDashwrittenLambdaFunction'],
    };
    for (const [service, functionIds] of Object.entries(asyncFunctions)) {
      const t = template(service);
      const roles = functionRoles(service);
      for (const functionId of functionIds) {
        const config = resourcesOfType(t, 'AWS::Lambda::EventInvokeConfig').find(
          ([, r]) => JSON.stringify(r.Properties?.['FunctionName']) === JSON.stringify({ Ref: functionId }),
        );
        const destination = (
          config?.[1].Properties?.['DestinationConfig'] as
            | { OnFailure?: { Destination?: { 'Fn::GetAtt'?: string[] } } }
            | undefined
        )?.OnFailure?.Destination;
        const queueId = destination?.['Fn::GetAtt']?.[0] ?? '';
        expect({ functionId, destination: t.Resources[queueId]?.Type }).toEqual({
          functionId,
          destination: 'AWS::SQS::Queue',
        });
        const sends = roles
          .find((r) => r.functionId === functionId)
          ?.statements.filter((st) => list(st.Action).includes('sqs:SendMessage'))
          .flatMap((st) => list(st.Resource));
        expect(sends).toContainEqual(destination);
      }
    }
  });

  it("sets every consumed queue's visibility timeout to at least six times its consumer's timeout", () => {
    let consumed = 0;
    for (const service of SERVICES) {
      const t = template(service);
      for (const [, mapping] of resourcesOfType(t, 'AWS::Lambda::EventSourceMapping')) {
        const queueId =
          (mapping.Properties?.['EventSourceArn'] as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0] ?? '';
        if (t.Resources[queueId]?.Type !== 'AWS::SQS::Queue') continue;
        const functionId =
          (mapping.Properties?.['FunctionName'] as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0] ?? '';
        const timeout = Number(t.Resources[functionId]?.Properties?.['Timeout']);
        expect(Number(t.Resources[queueId]?.Properties?.['VisibilityTimeout'])).toBeGreaterThanOrEqual(6 * timeout);
        consumed += 1;
      }
    }
    expect(consumed).toBeGreaterThan(0);
  });

  it("alarms to the lake's topic on every DLQ holding a message and on every queue's oldest message age", () => {
    for (const { service, id } of queues()) {
      const t = template(service);
      const dimension = [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }];
      const age = alarmsOn(t, 'ApproximateAgeOfOldestMessage', dimension);
      expect({ id, ageAlarms: age.length }).toEqual({ id, ageAlarms: 1 });
      if (isDeadLetterQueue(service, id)) {
        const depth = alarmsOn(t, 'ApproximateNumberOfMessagesVisible', dimension);
        expect(depth.map((a) => [a['Threshold'], a['ComparisonOperator']])).toEqual([[0, 'GreaterThanThreshold']]);
        age.push(...depth);
      }
      for (const alarm of age)
        expect(list(alarm['AlarmActions'])).toEqual([
          service === 'ingest-files'
            ? { Ref: 'AlarmTopic' }
            : { 'Fn::ImportValue': `pulse-lake-${STAGE}-alarm-topic-arn` },
        ]);
    }
  });
});

describe('Lambda settings', () => {
  it.each(SERVICES)(
    'traces every function of %s, logs JSON with a retention, and alarms on its errors and throttles',
    (service) => {
      const t = template(service);
      for (const [id, fn] of resourcesOfType(t, 'AWS::Lambda::Function')) {
        const props = fn.Properties ?? {};
        expect({ id, tracing: props['TracingConfig'] }).toEqual({ id, tracing: { Mode: 'Active' } });
        expect({ id, logging: props['LoggingConfig'] }).toEqual({
          id,
          logging: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' },
        });
        expect(t.Resources[id.replace(/LambdaFunction$/, 'LogGroup')]?.Properties?.['RetentionInDays']).toBe(30);
        for (const metric of ['Errors', 'Throttles']) {
          const alarms = alarmsOn(t, metric, [{ Name: 'FunctionName', Value: { Ref: id } }]);
          expect({ id, metric, alarms: alarms.map((a) => [a['Threshold'], list(a['AlarmActions']).length]) }).toEqual({
            id,
            metric,
            alarms: [[0, 1]],
          });
        }
      }
    },
  );

  it.each(SERVICES)('runs every function of %s on nodejs24.x, a runtime AWS supports until 2028', (service) => {
    const functions = resourcesOfType(template(service), 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const [id, fn] of functions)
      expect({ id, runtime: fn.Properties?.['Runtime'] }).toEqual({ id, runtime: 'nodejs24.x' });
  });

  it.each(SERVICES)('sets its own timeout and memory size on every function of %s', (service) => {
    const config = readServiceFile(join(root, 'services', service, 'serverless.yml'), {
      stage: STAGE,
      region: 'ap-southeast-1',
    });
    const functions = Object.entries(config['functions'] as Record<string, Record<string, unknown>>);
    expect(functions.length).toBeGreaterThan(0);
    for (const [name, fn] of functions)
      expect({ name, timeout: typeof fn['timeout'], memorySize: typeof fn['memorySize'] }).toEqual({
        name,
        timeout: 'number',
        memorySize: 'number',
      });
  });

  /** Packages a one-function fixture service that uses the same plugin as the lake's services; returns its exit status and output. */
  function packageFixture(name: string): { status: number | null; output: string } {
    const packageDir = mkdtempSync(join(tmpdir(), 'lake-functions-fixture-'));
    try {
      const run = spawnSync(
        process.execPath,
        [join(root, 'node_modules', 'osls', 'bin', 'serverless.js'), 'package', '--package', packageDir],
        {
          cwd: join(root, 'tests', 'integration', 'fixtures', name),
          encoding: 'utf8',
          env: {
            ...process.env,
            SLS_TELEMETRY_DISABLED: '1',
            SLS_NOTIFICATIONS_MODE: 'off',
            CI: '1',
            AWS_ACCESS_KEY_ID: 'offline',
            AWS_SECRET_ACCESS_KEY: 'offline',
          },
          timeout: 120_000,
        },
      );
      return { status: run.status, output: `${run.stdout}${run.stderr}` };
    } finally {
      rmSync(packageDir, { recursive: true, force: true });
    }
  }

  it('refuses to package a function that does not state its own memory size', () => {
    const run = packageFixture('function-without-memory');
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('function forgetful sets no memorySize of its own');
  });

  it('refuses to package a function that ships DuckDB on arm64, for which node_modules holds no binding', () => {
    const run = packageFixture('native-module-on-arm64');
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(
      "function writer cannot ship @duckdb/node-api: arm64: none of @duckdb/node-bindings's optional dependencies",
    );
  });

  it("bounds the normalizers' concurrency at the queue and the catalog writer's with reserved concurrency (Glue and Athena quotas)", () => {
    const mapping =
      resourcesOfType(template('ingest-files'), 'AWS::Lambda::EventSourceMapping')[0]?.[1].Properties ?? {};
    expect(mapping['ScalingConfig']).toEqual({ MaximumConcurrency: 10 });
    expect(
      template('etl-trigger').Resources['OnDashpartitionsDashwrittenLambdaFunction']?.Properties?.[
        'ReservedConcurrentExecutions'
      ],
    ).toBe(2);
  });
});

describe('catalog and Athena', () => {
  it("enforces the Athena workgroup's configuration, encrypts its results with the lake key and cuts queries off at a byte count", () => {
    const workgroup = resourcesOfType(template('query-api'), 'AWS::Athena::WorkGroup')[0]?.[1].Properties ?? {};
    const config = workgroup['WorkGroupConfiguration'] as Record<string, unknown>;
    expect(workgroup['Name']).toBe(`pulse-lake-${STAGE}`);
    expect(config['EnforceWorkGroupConfiguration']).toBe(true);
    expect(config['BytesScannedCutoffPerQuery']).toBe(1073741824);
    expect(config['ResultConfiguration']).toEqual({
      OutputLocation: `s3://${names.buckets['query-results']}/athena/`,
      EncryptionConfiguration: {
        EncryptionOption: 'SSE_KMS',
        KmsKey: { 'Fn::ImportValue': `pulse-lake-${STAGE}-key-arn` },
      },
    });
  });

  it('keeps the lake key rotating and retained, under an alias named for the stage', () => {
    const t = template('ingest-files');
    const key = t.Resources['LakeKey'] as Resource & { DeletionPolicy?: string };
    expect(key.Properties?.['EnableKeyRotation']).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    expect(t.Resources['LakeKeyAlias']?.Properties).toEqual({
      AliasName: `alias/pulse-lake-${STAGE}`,
      TargetKeyId: { Ref: 'LakeKey' },
    });
  });
});

describe('the staging crawler', () => {
  const etl = () => template('etl-trigger');
  const crawlers = () => resourcesOfType(etl(), 'AWS::Glue::Crawler');
  const crawler = () => crawlers()[0]?.[1].Properties ?? {};
  const crawlerRole = () => String((crawler()['Role'] as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0]);
  /** A string or an `Fn::Join` of strings and references, with each reference (partition, region, account) left out. */
  const joined = (value: unknown) =>
    ((value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join']?.[1] ?? [value])
      .map((part) => (typeof part === 'string' ? part : ''))
      .join('');
  const glueTargets = (statements: Statement[], action: string) =>
    statements
      .filter((st) => st.Effect === 'Allow' && list(st.Action).includes(action))
      .flatMap((st) => list(st.Resource).map((r) => joined(r).replace(/^arn::glue::/, '')));

  it("is one crawler, named as lakeNames() does, over the curated bucket's staging/ prefix into the staging database", () => {
    expect(crawlers()).toHaveLength(1);
    expect(crawler()['Name']).toBe(names.crawlers.staging);
    const databaseId = (crawler()['DatabaseName'] as { Ref?: string }).Ref ?? '';
    expect((etl().Resources[databaseId]?.Properties?.['DatabaseInput'] as { Name?: string }).Name).toBe(
      names.databases.staging,
    );
    const targets = crawler()['Targets'] as { S3Targets?: { Path?: string }[] } & Record<string, unknown>;
    expect(Object.keys(targets)).toEqual(['S3Targets']);
    expect(targets.S3Targets?.map((t) => t.Path)).toEqual([`s3://${names.buckets.curated}/staging/`]);
  });

  it("never updates or deletes a table, names what it makes apart, and never looks into a staging contract's folder", () => {
    expect(crawler()['SchemaChangePolicy']).toEqual({ UpdateBehavior: 'LOG', DeleteBehavior: 'LOG' });
    expect(crawler()['TablePrefix']).toBe('crawled_');
    // A contract named crawled_* would fall within what the crawler may write.
    for (const contract of DATASETS) expect(contract.name.startsWith('crawled_')).toBe(false);
    const configuration = JSON.parse(String(crawler()['Configuration'])) as {
      CrawlerOutput?: { Tables?: unknown; Partitions?: unknown };
    };
    // No `Tables.AddOrUpdateBehavior: MergeNewColumns`: LOG must hold for columns too.
    expect(configuration.CrawlerOutput).toEqual({ Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } });
    const exclusions =
      (crawler()['Targets'] as { S3Targets: { Exclusions?: string[] }[] }).S3Targets[0]?.Exclusions ?? [];
    expect([...exclusions].sort()).toEqual(
      DATASETS.filter((d) => d.stage === 'staging')
        .map((d) => `${d.name}/**`)
        .sort(),
    );
  });

  it('runs under a role only Glue assumes, reading staging/ and writing only crawled_ tables of the staging database', () => {
    const role = etl().Resources[crawlerRole()];
    expect(role?.Properties?.['RoleName']).toBe(names.crawlers.staging);
    const trust = (role?.Properties?.['AssumeRolePolicyDocument'] as { Statement: Record<string, unknown>[] })
      .Statement;
    expect(trust.map((st) => st['Principal'])).toEqual([{ Service: 'glue.amazonaws.com' }]);
    const statements = roleStatements(etl(), crawlerRole());

    const s3 = statements.filter((st) => list(st.Action).some((a) => String(a).startsWith('s3:')));
    expect(s3.flatMap((st) => list(st.Action)).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(s3.flatMap((st) => list(st.Resource)).map((r) => s3Target(r))).toEqual([
      { bucket: names.buckets.curated, path: '' },
      { bucket: names.buckets.curated, path: 'staging/*' },
    ]);
    expect(s3.find((st) => list(st.Action).includes('s3:ListBucket'))).toMatchObject({
      Condition: { StringLike: { 's3:prefix': ['staging/', 'staging/*'] } },
    });

    const staging = names.databases.staging;
    for (const action of [
      'glue:CreateTable',
      'glue:UpdateTable',
      'glue:BatchCreatePartition',
      'glue:UpdatePartition',
    ]) {
      expect({ action, resources: glueTargets(statements, action) }).toEqual({
        action,
        resources: [':catalog', `:database/${staging}`, `:table/${staging}/crawled_*`],
      });
    }
    const reached = statements.flatMap((st) => list(st.Resource).map(joined)).join(' ');
    expect(reached).not.toContain(names.databases.curated);
    expect(
      statements.flatMap((st) => list(st.Action)).filter((a) => /^glue:(Delete|BatchDelete)/.test(String(a))),
    ).toEqual([]);
    expect(
      statements
        .filter((st) => list(st.Action).some((a) => String(a).startsWith('kms:')))
        .flatMap((st) => list(st.Resource)),
    ).toEqual([LAKE_KEY[2]]);
    const logs = statements
      .filter((st) => list(st.Action).some((a) => String(a).startsWith('logs:')))
      .flatMap((st) => list(st.Resource));
    expect(logs).toEqual([expect.anything(), { 'Fn::GetAtt': ['StagingCrawlerLogGroup', 'Arn'] }]);
    expect(joined(logs[0])).toBe(
      `arn::logs:::log-group:${String(etl().Resources['StagingCrawlerLogGroup']?.Properties?.['LogGroupName'])}`,
    );
  });

  it('encrypts its logs with the lake key through a security configuration, in a log group with a retention', () => {
    const configurationId = (crawler()['CrawlerSecurityConfiguration'] as { Ref?: string }).Ref ?? '';
    const configuration = etl().Resources[configurationId];
    expect(configuration?.Type).toBe('AWS::Glue::SecurityConfiguration');
    const encryption = configuration?.Properties?.['EncryptionConfiguration'] as Record<
      string,
      Record<string, unknown>
    >;
    expect(encryption['CloudWatchEncryption']).toEqual({ CloudWatchEncryptionMode: 'SSE-KMS', KmsKeyArn: LAKE_KEY[2] });
    expect(encryption['S3Encryptions']).toEqual([{ S3EncryptionMode: 'SSE-KMS', KmsKeyArn: LAKE_KEY[2] }]);
    // Glue writes an encrypted crawler's logs to /aws-glue/crawlers-role/<role name>-<security configuration name>.
    const logGroup = etl().Resources['StagingCrawlerLogGroup']?.Properties ?? {};
    expect(logGroup['LogGroupName']).toBe(
      `/aws-glue/crawlers-role/${names.crawlers.staging}-${String(configuration?.Properties?.['Name'])}`,
    );
    expect(logGroup['KmsKeyId']).toEqual(LAKE_KEY[2]);
    expect(logGroup['RetentionInDays']).toBe(30);
    // The lake key lets CloudWatch Logs use it for those log groups only.
    const keyPolicy = template('ingest-files').Resources['LakeKey']?.Properties?.['KeyPolicy'] as {
      Statement: Record<string, unknown>[];
    };
    const forLogs = keyPolicy.Statement.filter((st) =>
      joined((st['Principal'] as { Service?: unknown }).Service).startsWith('logs.'),
    );
    expect(
      forLogs.map((st) =>
        joined((st['Condition'] as { ArnLike: Record<string, unknown> }).ArnLike['kms:EncryptionContext:aws:logs:arn']),
      ),
    ).toEqual([`arn::logs:::log-group:/aws-glue/crawlers-role/pulse-lake-${STAGE}-*`]);
  });

  it('is started only by the catalog function, which keeps its debounce record under _state/crawlers/ in the curated bucket', () => {
    const starters = SERVICES.flatMap(functionRoles).filter((role) =>
      role.statements.some((st) => list(st.Action).includes('glue:StartCrawler')),
    );
    expect(starters.map((role) => role.roleId)).toEqual(['OnPartitionsWrittenRole']);
    expect(glueTargets(starters[0]?.statements ?? [], 'glue:StartCrawler')).toEqual([
      `:crawler/${names.crawlers.staging}`,
    ]);
    const writes = (starters[0]?.statements ?? []).filter((st) =>
      list(st.Action).some((a) => ['s3:PutObject', 's3:DeleteObject'].includes(String(a))),
    );
    expect(writes.flatMap((st) => list(st.Resource)).map((r) => s3Target(r))).toEqual([
      { bucket: names.buckets.curated, path: '_state/crawlers/*' },
    ]);
  });
});

describe('deployment', () => {
  const compose = parseYaml(readFileSync(join(root, 'serverless-compose.yml'), 'utf8')) as {
    services: Record<string, { path: string; dependsOn?: string[] }>;
  };

  it('composes the five services', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...SERVICES].sort());
    for (const [name, entry] of Object.entries(compose.services)) expect(entry.path).toBe(`services/${name}`);
  });

  it('imports only what a service that compose deploys earlier exports', () => {
    const deployedBefore = (service: string): Set<string> => {
      const before = new Set<string>();
      const visit = (name: string) => {
        for (const dependency of compose.services[name]?.dependsOn ?? [])
          if (!before.has(dependency)) before.add(dependency), visit(dependency);
      };
      visit(service);
      return before;
    };
    const exporter = new Map<string, string>();
    for (const service of SERVICES)
      for (const output of Object.values(template(service).Outputs ?? {}))
        if (typeof output.Export?.Name === 'string') exporter.set(output.Export.Name, service);
    let imports = 0;
    for (const service of SERVICES) {
      for (const name of valuesOf(template(service).Resources, 'Fn::ImportValue')) {
        const from = exporter.get(String(name));
        expect({
          service,
          imports: name,
          from,
          deployedBefore: from !== undefined && deployedBefore(service).has(from),
        }).toEqual({ service, imports: name, from, deployedBefore: true });
        imports += 1;
      }
    }
    expect(imports).toBeGreaterThan(0);
  });

  it('deploys to ap-southeast-1 unless told otherwise, and gives prod longer retention and more headroom than dev', () => {
    for (const service of SERVICES) {
      const state = JSON.parse(
        readFileSync(join(root, 'services', service, '.serverless', 'serverless-state.json'), 'utf8'),
      ) as { service: { provider: { region: string } } };
      expect({ service, region: state.service.provider.region }).toEqual({ service, region: 'ap-southeast-1' });
      const read = (stage: string, region = 'ap-southeast-1') =>
        readServiceFile(join(root, 'services', service, 'serverless.yml'), { stage, region });
      const provider = (stage: string, region?: string) => read(stage, region)['provider'] as Record<string, unknown>;
      expect({
        service,
        dev: provider('dev')['logRetentionInDays'],
        prod: provider('prod')['logRetentionInDays'],
      }).toEqual({ service, dev: 30, prod: 365 });
      expect(provider('prod', 'us-east-1')['region']).toBe('us-east-1');
    }
    const param = (service: string, stage: string, name: string) => {
      const params = readServiceFile(join(root, 'services', service, 'serverless.yml'), {
        stage,
        region: 'ap-southeast-1',
      })['params'] as Record<string, Record<string, unknown>>;
      return params[stage]?.[name] ?? params['default']?.[name];
    };
    expect(Number(param('query-api', 'prod', 'bytesScannedCutoff'))).toBeGreaterThan(
      Number(param('query-api', 'dev', 'bytesScannedCutoff')),
    );
    expect(Number(param('ingest-files', 'prod', 'rejectsRetentionDays'))).toBeGreaterThan(
      Number(param('ingest-files', 'dev', 'rejectsRetentionDays')),
    );
    expect(Number(param('ingest-files', 'prod', 'normalizeConcurrency'))).toBeGreaterThan(
      Number(param('ingest-files', 'dev', 'normalizeConcurrency')),
    );
  });
});
