/**
 * One function's `events:` list read into the event sources the local runtime
 * serves. What cannot be followed (an unresolvable bucket, queue or table) is
 * added to `problems` and left unwired, never guessed.
 */
import type { EventSource, HttpSource } from './event-sources';
import { num, queueResourceNamed, referencedName, resourceProperties, str, tableKeySchema } from './resources';
import type { YamlObject, YamlValue } from './yaml';
import { isObject } from './yaml';

/** Where a function's events are read: its names, its service file's resources, and where problems go. */
export interface FunctionEventsContext {
  service: string;
  stage: string;
  /** The function's key under `functions:`. */
  name: string;
  /** How problems name the function, e.g. `services/x/serverless.yml: function y`. */
  where: string;
  /** `resources.Resources` of the service file. */
  resources: YamlObject;
  /** `provider.s3` of the service file. */
  providerS3: YamlObject;
  problems: string[];
}

type EventReader = (value: YamlValue | undefined, index: number, ctx: FunctionEventsContext) => EventSource[];

const s3Source: EventReader = (value, index, { where, resources, providerS3, problems }) => {
  const spec = isObject(value) ? value : { bucket: value ?? null };
  let bucket = str(spec.bucket) ?? referencedName(spec.bucket, resources, 'BucketName');
  // `bucket: photos` may name a provider.s3 entry that carries the real name.
  const declared = bucket === undefined ? undefined : providerS3[bucket];
  if (isObject(declared) && str(declared.name) !== undefined) bucket = str(declared.name);
  if (bucket === undefined) {
    problems.push(`${where}: s3 event ${index + 1} has a bucket the local lake cannot resolve`);
    return [];
  }
  const rules = Array.isArray(spec.rules) ? spec.rules.filter(isObject) : [];
  const prefix = rules.map((r) => str(r.prefix)).find((p) => p !== undefined);
  const suffix = rules.map((r) => str(r.suffix)).find((s) => s !== undefined);
  return [
    {
      kind: 's3',
      bucket,
      event: str(spec.event) ?? 's3:ObjectCreated:*',
      ...(prefix !== undefined ? { prefix } : {}),
      ...(suffix !== undefined ? { suffix } : {}),
    },
  ];
};

const sqsSource: EventReader = (value, index, { where, resources, problems }) => {
  const spec = isObject(value) ? value : { arn: value ?? null };
  const queueName = referencedName(spec.arn, resources, 'QueueName');
  if (queueName === undefined) {
    problems.push(
      `${where}: sqs event ${index + 1} names a queue the local lake cannot resolve (use a literal ARN or !GetAtt of a queue resource with a QueueName)`,
    );
    return [];
  }
  const queueProps = resourceProperties(spec.arn, resources) ?? queueResourceNamed(queueName, resources);
  const redrive = isObject(queueProps?.RedrivePolicy) ? queueProps.RedrivePolicy : undefined;
  const deadLetterQueue = redrive ? referencedName(redrive.deadLetterTargetArn, resources, 'QueueName') : undefined;
  const maxReceiveCount = num(redrive?.maxReceiveCount);
  if (redrive && (deadLetterQueue === undefined || maxReceiveCount === undefined)) {
    problems.push(`${where}: the redrive policy of queue ${queueName} cannot be resolved locally`);
  }
  const visibility = num(queueProps?.VisibilityTimeout);
  return [
    {
      kind: 'sqs',
      queueName,
      batchSize: num(spec.batchSize) ?? 10,
      reportBatchItemFailures: spec.functionResponseType === 'ReportBatchItemFailures',
      ...(visibility !== undefined ? { visibilityTimeoutSeconds: visibility } : {}),
      ...(deadLetterQueue !== undefined && maxReceiveCount !== undefined
        ? { redrive: { deadLetterQueue, maxReceiveCount } }
        : {}),
    },
  ];
};

const eventBridgeSource: EventReader = (value, index, { service, stage, name, where, problems }) => {
  const spec = isObject(value) ? value : {};
  const ruleName = `${service}-${stage}-${name}-rule-${index + 1}`;
  if (spec.schedule !== undefined) {
    const expression = str(spec.schedule);
    if (expression === undefined) {
      problems.push(`${where}: eventBridge schedule ${index + 1} is not a string`);
      return [];
    }
    return [
      {
        kind: 'schedule',
        ruleName,
        expression,
        enabled: spec.enabled !== false,
        ...(spec.input !== undefined ? { input: spec.input } : {}),
      },
    ];
  }
  if (!isObject(spec.pattern)) {
    problems.push(`${where}: eventBridge event ${index + 1} has no pattern`);
    return [];
  }
  if (spec.eventBus !== undefined && str(spec.eventBus) !== 'default') {
    problems.push(
      `${where}: eventBridge event ${index + 1} uses a custom bus; locally every rule listens on the one in-process bus`,
    );
  }
  return [{ kind: 'eventBridge', ruleName, pattern: spec.pattern }];
};

const scheduleSources: EventReader = (value, index, { service, stage, name, where, problems }) => {
  const spec = isObject(value) ? value : { rate: value ?? null };
  const rates = Array.isArray(spec.rate) ? spec.rate : [spec.rate];
  return rates.flatMap((rate, r): EventSource[] => {
    const expression = str(rate);
    if (expression === undefined) {
      problems.push(`${where}: schedule ${index + 1} has no rate`);
      return [];
    }
    return [
      {
        kind: 'schedule',
        ruleName:
          str(spec.name) ?? `${service}-${stage}-${name}-schedule-${index + 1}${rates.length > 1 ? `-${r + 1}` : ''}`,
        expression,
        enabled: spec.enabled !== false,
        ...(spec.input !== undefined ? { input: spec.input } : {}),
      },
    ];
  });
};

function parseHttp(value: YamlValue | undefined, api: 'rest' | 'http'): HttpSource | undefined {
  if (typeof value === 'string') {
    if (value.trim() === '*') return { kind: 'http', api, method: 'ANY', path: '/{proxy+}' };
    const [method, path] = value.trim().split(/\s+/);
    return method && path
      ? { kind: 'http', api, method: method.toUpperCase(), path: path.startsWith('/') ? path : `/${path}` }
      : undefined;
  }
  if (!isObject(value)) return undefined;
  const method = str(value.method);
  const path = str(value.path);
  if (method === undefined || path === undefined) return undefined;
  const authorizer = value.authorizer;
  const iam = authorizer === 'aws_iam' || (isObject(authorizer) && authorizer.type === 'aws_iam');
  return {
    kind: 'http',
    api,
    method: method.toUpperCase(),
    path: path.startsWith('/') ? path : `/${path}`,
    ...(iam ? { iamAuthorized: true } : {}),
  };
}

const httpSource =
  (kind: 'http' | 'httpApi'): EventReader =>
  (value, index, { where, problems }) => {
    const http = parseHttp(value, kind === 'http' ? 'rest' : 'http');
    if (http !== undefined) return [http];
    problems.push(`${where}: ${kind} event ${index + 1} has no method and path`);
    return [];
  };

const streamSource: EventReader = (value, index, { where, resources, problems }) => {
  const spec = isObject(value) ? value : { arn: value ?? null };
  const type =
    str(spec.type) ?? (typeof spec.arn === 'string' && spec.arn.includes(':kinesis:') ? 'kinesis' : 'dynamodb');
  const table = type === 'dynamodb' ? referencedName(spec.arn, resources, 'TableName') : undefined;
  if (table === undefined) {
    problems.push(`${where}: stream event ${index + 1} is not a DynamoDB stream the local lake can resolve`);
    return [];
  }
  const keySchema = tableKeySchema(resourceProperties(spec.arn, resources));
  if (keySchema === undefined) {
    problems.push(`${where}: the key schema of table ${table} cannot be read from its resource`);
    return [];
  }
  const destinations = isObject(spec.destinations) ? spec.destinations : undefined;
  const onFailure = isObject(destinations?.onFailure) ? destinations.onFailure : destinations?.onFailure;
  const onFailureArn = isObject(onFailure) ? onFailure.arn : onFailure;
  const onFailureQueue = onFailureArn === undefined ? undefined : referencedName(onFailureArn, resources, 'QueueName');
  if (onFailureArn !== undefined && onFailureQueue === undefined)
    problems.push(
      `${where}: the on-failure destination of stream event ${index + 1} is not a queue the local lake can resolve`,
    );
  return [
    {
      kind: 'stream',
      table,
      keySchema,
      batchSize: num(spec.batchSize) ?? 100,
      batchWindowSeconds: num(spec.batchWindow) ?? 0,
      bisectBatchOnFunctionError: spec.bisectBatchOnFunctionError === true,
      maximumRetryAttempts: num(spec.maximumRetryAttempts) ?? -1,
      reportBatchItemFailures: spec.functionResponseType === 'ReportBatchItemFailures',
      ...(onFailureQueue !== undefined ? { onFailureQueue } : {}),
    },
  ];
};

const READERS = new Map<string, EventReader>([
  ['s3', s3Source],
  ['sqs', sqsSource],
  ['eventBridge', eventBridgeSource],
  ['schedule', scheduleSources],
  ['http', httpSource('http')],
  ['httpApi', httpSource('httpApi')],
  ['stream', streamSource],
]);

/** The event sources of one function's `events:` list, in order. */
export function functionEvents(events: YamlValue | undefined, ctx: FunctionEventsContext): EventSource[] {
  const entries = Array.isArray(events) ? events : [];
  return entries.flatMap((entry, index) => {
    if (!isObject(entry)) return [];
    const [kind, value] = Object.entries(entry)[0] ?? [];
    const read = kind === undefined ? undefined : READERS.get(kind);
    if (read === undefined) {
      ctx.problems.push(`${ctx.where}: event type ${kind ?? '(empty)'} is not known to the local lake`);
      return [];
    }
    return read(value, index, ctx);
  });
}
