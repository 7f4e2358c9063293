/**
 * Reads the CloudFormation that `npm run package` writes for each service and
 * checks what must hold before anything is deployed: every function is wired to
 * its event source, the lake's buckets and queue exist with their protections,
 * and no IAM statement grants every action.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lakeNames } from '../../shared/src/lake/names';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVICES = ['ingest-files', 'ingest-api', 'stream', 'etl-trigger', 'query-api'] as const;
const STAGE = 'dev';
const names = lakeNames(STAGE);

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}
type Template = { Resources: Record<string, Resource> };

const templatePath = (service: string) => join(root, 'services', service, '.serverless', 'cloudformation-template-update-stack.json');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, entry) => (entry === 'node_modules' || entry.startsWith('.') ? newest : Math.max(newest, newestMtime(join(path, entry)))), stat.mtimeMs);
}

/** A template is stale when its service's config or code, or shared/src, changed after it was written. */
function isStale(service: string): boolean {
  const path = templatePath(service);
  if (!existsSync(path)) return true;
  const written = statSync(path).mtimeMs;
  const dir = join(root, 'services', service);
  const inputs = [join(dir, 'serverless.yml'), join(dir, 'src'), join(root, 'shared', 'src')];
  return inputs.some((input) => existsSync(input) && newestMtime(input) > written);
}

const templates = new Map<string, Template>();

beforeAll(() => {
  const stale = SERVICES.filter(isStale);
  if (stale.length > 0) {
    execFileSync(process.execPath, [join(root, 'scripts', 'package-services.mjs'), '--stage', STAGE, ...stale], { cwd: root, stdio: 'inherit' });
  }
  for (const service of SERVICES) templates.set(service, JSON.parse(readFileSync(templatePath(service), 'utf8')) as Template);
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
function iamStatements(t: Template): { Effect?: string; Action?: unknown; Resource?: unknown }[] {
  const statements: { Effect?: string; Action?: unknown; Resource?: unknown }[] = [];
  for (const [, r] of Object.entries(t.Resources)) {
    if (r.Type !== 'AWS::IAM::Role' && r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const documents: unknown[] = [];
    const props = r.Properties ?? {};
    if (Array.isArray(props['Policies'])) for (const p of props['Policies'] as { PolicyDocument?: unknown }[]) documents.push(p.PolicyDocument);
    if (props['PolicyDocument'] !== undefined) documents.push(props['PolicyDocument']);
    for (const doc of documents) {
      const list = (doc as { Statement?: unknown } | undefined)?.Statement;
      if (Array.isArray(list)) statements.push(...(list as { Effect?: string; Action?: unknown; Resource?: unknown }[]));
    }
  }
  return statements;
}

function bucketByName(name: string): Resource | undefined {
  for (const t of templates.values()) {
    const found = resourcesOfType(t, 'AWS::S3::Bucket').find(([, r]) => r.Properties?.['BucketName'] === name);
    if (found) return found[1];
  }
  return undefined;
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

  it('declares every lake bucket encrypted and closed to the public', () => {
    for (const name of Object.values(names.buckets)) {
      const bucket = bucketByName(name);
      expect({ name, declared: bucket !== undefined }).toEqual({ name, declared: true });
      const props = bucket?.Properties ?? {};
      expect(JSON.stringify(props['BucketEncryption'])).toContain('aws:kms');
      expect(props['PublicAccessBlockConfiguration']).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    }
  });

  it('gives the normalize queue a dead-letter queue, a redrive policy and a visibility timeout of six function timeouts', () => {
    const t = template('ingest-files');
    const queues = resourcesOfType(t, 'AWS::SQS::Queue').map(([id, r]) => ({ id, props: r.Properties ?? {} }));
    const queue = queues.find((q) => q.props['QueueName'] === names.queues.normalize);
    const dlq = queues.find((q) => q.props['QueueName'] === names.queues.normalizeDlq);
    expect(queue).toBeDefined();
    expect(dlq).toBeDefined();
    const redrive = queue?.props['RedrivePolicy'] as { deadLetterTargetArn?: unknown; maxReceiveCount?: number } | undefined;
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
    const mapping = resourcesOfType(t, 'AWS::Lambda::EventSourceMapping')[0]?.[1].Properties ?? {};
    expect(mapping['BisectBatchOnFunctionError']).toBe(true);
    expect(mapping['FunctionResponseTypes']).toEqual(['ReportBatchItemFailures']);
    expect(JSON.stringify(mapping['DestinationConfig'])).toContain('TelemetryStreamDeadLetterQueue');
  });

  it('names the Glue databases as lakeNames() does', () => {
    const databases = resourcesOfType(template('etl-trigger'), 'AWS::Glue::Database').map(([, r]) => (r.Properties?.['DatabaseInput'] as { Name?: string }).Name);
    expect(databases.sort()).toEqual([names.databases.curated, names.databases.staging].sort());
  });

  it('routes Partitions Written events from the lake to the catalog function', () => {
    const rules = resourcesOfType(template('etl-trigger'), 'AWS::Events::Rule').map(([, r]) => r.Properties ?? {});
    const patterned = rules.filter((rule) => rule['EventPattern'] !== undefined);
    expect(patterned.map((rule) => rule['EventPattern'])).toEqual([{ source: [names.eventSource], 'detail-type': ['Partitions Written'] }]);
  });

  it('sweeps the raw zone every hour', () => {
    const rules = resourcesOfType(template('etl-trigger'), 'AWS::Events::Rule').map(([, r]) => r.Properties ?? {});
    expect(rules.map((rule) => rule['ScheduleExpression']).filter(Boolean)).toEqual(['rate(1 hour)']);
  });

  it('checks the connectors every minute, and lets them read only the connector secrets of the stage', () => {
    const t = template('ingest-api');
    const rules = resourcesOfType(t, 'AWS::Events::Rule').map(([, r]) => r.Properties ?? {});
    expect(rules.map((rule) => rule['ScheduleExpression'])).toEqual(['rate(1 minute)']);
    expect(JSON.stringify(rules[0]?.['Targets'])).toContain('RunDashconnectorsLambdaFunction');
    const ssm = iamStatements(t).filter((s) => JSON.stringify(s.Action).includes('ssm:GetParameter'));
    expect(ssm.map((s) => JSON.stringify(s.Resource))).toEqual([expect.stringContaining(':parameter/pulse-lake/dev/partners/*'), expect.stringContaining(':parameter/pulse-lake/dev/connectors/*')]);
  });

  it('leaves partner signatures of the push API to its handlers (partners and gateways are not IAM principals)', () => {
    // The handlers' own check is exercised in services/ingest-api/tests/unit/push-batch.test.ts and local/tests/integration/partner-api.test.ts.
    const methods = resourcesOfType(template('ingest-api'), 'AWS::ApiGateway::Method').filter(([, r]) => r.Properties?.['HttpMethod'] !== 'OPTIONS');
    expect(methods.map(([, m]) => m.Properties?.['HttpMethod']).sort()).toEqual(['GET', 'POST']);
    for (const [, method] of methods) expect(method.Properties?.['AuthorizationType']).toBe('NONE');
  });

  it('leaves partner signatures of the query API to its handlers (partners are not IAM principals), with /health as the one route that is not /v1', () => {
    // The handlers' own check is exercised route by route in local/tests/integration/partner-api.test.ts.
    const resources = resourcesOfType(template('query-api'), 'AWS::ApiGateway::Resource').map(([, r]) => String(r.Properties?.['PathPart']));
    const methods = resourcesOfType(template('query-api'), 'AWS::ApiGateway::Method').filter(([, r]) => r.Properties?.['HttpMethod'] !== 'OPTIONS');
    expect(resources.sort()).toEqual(['executions', 'executions', 'health', 'openapi.json', 'queries', 'results', 'v1', '{id}', '{name}'].sort());
    expect(methods).toHaveLength(6);
    for (const [, method] of methods) expect(method.Properties?.['AuthorizationType']).toBe('NONE');
  });

  it.each(SERVICES)('grants no IAM action "*" in %s', (service) => {
    const statements = iamStatements(template(service));
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      const actions = ([] as unknown[]).concat(statement.Action ?? []);
      expect(actions).not.toContain('*');
      if (statement.Effect === 'Allow') expect(([] as unknown[]).concat(statement.Resource ?? [])).not.toContain('*');
    }
  });
});
