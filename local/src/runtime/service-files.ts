/**
 * Reads every `services/<name>/serverless.yml` and derives the local wiring
 * from it: which handler module each function is, and which event sources
 * feed it. Nothing here restates a bucket, queue, rule or route: if the
 * service file changes, the local lake follows (DESIGN section 3).
 *
 * Serverless variables (`${sls:stage}`, `${opt:stage, 'dev'}`, `${self:...}`,
 * `${param:...}`, `${aws:region}`, `${env:X}`) are resolved for the local stage; CloudFormation
 * tags (`!Ref`, `!GetAtt`, `!Sub`, ...) are read as their long forms
 * (`{ Ref }`, `{ 'Fn::GetAtt' }`) so queue and table names can be followed
 * to the resources that declare them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Document, Node as YamlNode } from 'yaml';
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';

/** A JSON-like value read from a service file. */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };
type YamlObject = { [key: string]: YamlValue };

/** An EventBridge pattern as the service file states it. */
export type RulePattern = YamlObject;

export interface S3Source {
  kind: 's3';
  bucket: string;
  /** `s3:ObjectCreated:*` and the like. */
  event: string;
  prefix?: string;
  suffix?: string;
}

export interface SqsSource {
  kind: 'sqs';
  queueName: string;
  batchSize: number;
  reportBatchItemFailures: boolean;
  /** From the queue resource's `VisibilityTimeout`, when declared. */
  visibilityTimeoutSeconds?: number;
  /** From the queue resource's `RedrivePolicy`, when declared. */
  redrive?: { deadLetterQueue: string; maxReceiveCount: number };
}

export interface EventBridgeSource {
  kind: 'eventBridge';
  ruleName: string;
  pattern: RulePattern;
}

export interface ScheduleSource {
  kind: 'schedule';
  ruleName: string;
  expression: string;
  enabled: boolean;
  input?: YamlValue;
}

export interface HttpSource {
  kind: 'http';
  /** `rest` for `http:` events (API Gateway v1 payload), `http` for `httpApi:` (v2 payload). */
  api: 'rest' | 'http';
  method: string;
  path: string;
  /** `authorizer: aws_iam`: API Gateway checks an IAM signature, which the local gateway does not. */
  iamAuthorized?: boolean;
}

export interface StreamSource {
  kind: 'stream';
  /** The DynamoDB table whose stream feeds the function. */
  table: string;
  /** From the table resource's KeySchema. */
  keySchema: { partitionKey: string; sortKey?: string };
  batchSize: number;
  batchWindowSeconds: number;
  bisectBatchOnFunctionError: boolean;
  /** -1: retried until it succeeds (Lambda's default). */
  maximumRetryAttempts: number;
  reportBatchItemFailures: boolean;
  /** The SQS queue named by `destinations.onFailure`, when there is one. */
  onFailureQueue?: string;
}

export type EventSource = S3Source | SqsSource | EventBridgeSource | ScheduleSource | HttpSource | StreamSource;

export interface FunctionWiring {
  service: string;
  /** The function's key under `functions:`. */
  name: string;
  /** The deployed name (`<service>-<stage>-<name>` unless the file sets `name`). */
  functionName: string;
  /** `services/<svc>/src/handlers/<kebab-name>.ts`, absolute. */
  handlerFile: string;
  /** What serverless.yml says, e.g. `src/functions/normalize-chunk.handler`. */
  handler: string;
  timeoutSeconds: number;
  memorySize: number;
  events: EventSource[];
}

export interface ServiceFile {
  service: string;
  dir: string;
  file: string;
}

export interface LakeWiring {
  services: ServiceFile[];
  functions: FunctionWiring[];
  /** Constructs that could not be resolved or wired; the runtime reports them, never hides them. */
  problems: string[];
}

export interface WiringOptions {
  /** The repository root holding `services/`. */
  root: string;
  stage: string;
  region: string;
  accountId?: string;
  /** `${env:X}` values (default: process.env). */
  env?: Record<string, string | undefined>;
}

/** A service file that cannot be read at all (bad YAML, no `service`). */
export class ServiceFileError extends Error {
  override name = 'ServiceFileError';
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
  }
}

const CFN_TAGS: Record<string, string> = {
  '!Ref': 'Ref',
  '!Condition': 'Condition',
};
const cfnKey = (tag: string) => CFN_TAGS[tag] ?? `Fn::${tag.slice(1)}`;

/** YAML AST to plain data, turning `!Tag value` into CloudFormation's long form. */
function toData(node: unknown, doc: Document): YamlValue {
  if (isAlias(node)) return toData(node.resolve(doc), doc);
  let value: YamlValue;
  if (isMap(node)) {
    const out: YamlObject = {};
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
      if (key === '<<') {
        const merged = toData(item.value, doc);
        const sources = Array.isArray(merged) ? merged : [merged];
        for (const source of sources)
          if (isObject(source)) for (const [k, v] of Object.entries(source)) if (!(k in out)) out[k] = v;
        continue;
      }
      out[key] = toData(item.value, doc);
    }
    value = out;
  } else if (isSeq(node)) {
    value = node.items.map((item) => toData(item, doc));
  } else if (isScalar(node)) {
    const raw = node.value;
    value =
      typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean'
        ? raw
        : raw === null || raw === undefined
          ? null
          : String(raw);
  } else {
    value = null;
  }
  const tag = (node as YamlNode | null)?.tag;
  if (typeof tag === 'string' && tag.startsWith('!') && !tag.startsWith('!!')) {
    // `!GetAtt Queue.Arn` is the short form of `Fn::GetAtt: [Queue, Arn]`.
    if (tag === '!GetAtt' && typeof value === 'string') {
      const dot = value.indexOf('.');
      return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
    }
    return { [cfnKey(tag)]: value };
  }
  return value;
}

function isObject(value: YamlValue | undefined): value is YamlObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function getPath(root: YamlValue, path: string): YamlValue | undefined {
  let at: YamlValue | undefined = root;
  for (const part of path.split('.').filter((p) => p !== '')) {
    if (Array.isArray(at) && /^\d+$/.test(part)) at = at[Number(part)];
    else if (isObject(at)) at = at[part];
    else return undefined;
  }
  return at;
}

const VARIABLE = /\$\{([^${}]*)\}/g;
const WHOLE_VARIABLE = /^\$\{([^${}]*)\}$/;
// Only Serverless sources are ours; `${AWS::Region}` or `${Queue.Arn}` inside Fn::Sub belong to CloudFormation.
const SERVERLESS_SOURCE = /^\s*(self|opt|sls|aws|env|file|cf|ssm|s3|param|strToBool|git)\s*:/;

interface ResolveContext {
  raw: YamlValue;
  file: string;
  stage: string;
  region: string;
  accountId: string;
  env: Record<string, string | undefined>;
  problems: string[];
}

/** One variable's value, trying each `, `-separated alternative in turn (Serverless fallbacks). */
function resolveVariable(expression: string, ctx: ResolveContext, depth: number): YamlValue | undefined {
  for (const alternative of splitAlternatives(expression)) {
    const text = alternative.trim();
    const quoted = /^(['"])(.*)\1$/.exec(text);
    if (quoted) return quoted[2] ?? '';
    if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
    if (text === 'true' || text === 'false') return text === 'true';
    const colon = text.indexOf(':');
    if (colon < 0) continue;
    const source = text.slice(0, colon).trim();
    const address = text.slice(colon + 1).trim();
    let value: YamlValue | undefined;
    switch (source) {
      case 'sls':
        value = address === 'stage' ? ctx.stage : address === 'instanceId' ? 'local' : undefined;
        break;
      case 'opt':
        value = address === 'stage' ? ctx.stage : address === 'region' ? ctx.region : undefined;
        break;
      case 'aws':
        value = address === 'region' ? ctx.region : address === 'accountId' ? ctx.accountId : undefined;
        break;
      case 'env':
        value = ctx.env[address];
        break;
      case 'param': {
        // Serverless v3 stage parameters: `params.<stage>.<name>`, else `params.default.<name>`.
        const found =
          getPath(ctx.raw, `params.${ctx.stage}.${address}`) ?? getPath(ctx.raw, `params.default.${address}`);
        value = found === undefined ? undefined : resolveValue(found, ctx, depth + 1);
        break;
      }
      case 'self': {
        const found = address === '' ? ctx.raw : getPath(ctx.raw, address);
        // `service` may be written `service: { name: x }` in older files.
        const adjusted = address === 'service' && isObject(found) ? found.name : found;
        value = adjusted === undefined ? undefined : resolveValue(adjusted, ctx, depth + 1);
        break;
      }
      default:
        ctx.problems.push(
          `${ctx.file}: \${${expression}} uses the ${source}: source, which the local lake cannot resolve`,
        );
        return undefined;
    }
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

function splitAlternatives(expression: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const ch of expression) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === ',') {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts;
}

function resolveString(text: string, ctx: ResolveContext, depth: number): YamlValue {
  if (depth > 20) {
    ctx.problems.push(`${ctx.file}: variables nest too deeply (a self-reference cycle?) in "${text}"`);
    return text;
  }
  let current = text;
  for (let pass = 0; pass < 20; pass++) {
    const whole = WHOLE_VARIABLE.exec(current);
    if (whole && (SERVERLESS_SOURCE.test(whole[1] ?? '') || /^\s*['"]/.test(whole[1] ?? ''))) {
      const value = resolveVariable(whole[1] ?? '', ctx, depth);
      if (value === undefined) {
        if (!ctx.problems.some((p) => p.startsWith(`${ctx.file}: ${current} uses`)))
          ctx.problems.push(`${ctx.file}: ${current} has no value locally`);
        return current;
      }
      return typeof value === 'string' && value !== current ? resolveString(value, ctx, depth + 1) : value;
    }
    let changed = false;
    const next = current.replace(VARIABLE, (match, expression: string) => {
      if (!SERVERLESS_SOURCE.test(expression)) return match;
      const value = resolveVariable(expression, ctx, depth);
      if (value === undefined) {
        if (!ctx.problems.some((p) => p.startsWith(`${ctx.file}: ${match} uses`)))
          ctx.problems.push(`${ctx.file}: ${match} has no value locally`);
        return match;
      }
      changed = true;
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    });
    if (!changed) return next;
    current = next;
  }
  return current;
}

function resolveValue(value: YamlValue, ctx: ResolveContext, depth: number): YamlValue {
  if (typeof value === 'string') return resolveString(value, ctx, depth);
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, ctx, depth));
  if (isObject(value)) {
    const out: YamlObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveValue(v, ctx, depth);
    return out;
  }
  return value;
}

/** Reads one serverless.yml into plain data with its variables resolved. */
export function readServiceFile(
  file: string,
  options: Omit<WiringOptions, 'root'> & { label?: string },
  problems: string[] = [],
): YamlObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ServiceFileError(file, 'cannot be read', { cause: error });
  }
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0)
    throw new ServiceFileError(file, `is not valid YAML: ${(doc.errors[0]?.message ?? '').split('\n')[0] ?? ''}`);
  const raw = toData(doc.contents, doc);
  if (!isObject(raw)) throw new ServiceFileError(file, 'does not hold a YAML mapping');
  const ctx: ResolveContext = {
    raw,
    file: options.label ?? file,
    stage: options.stage,
    region: options.region,
    accountId: options.accountId ?? '000000000000',
    env: options.env ?? process.env,
    problems,
  };
  const resolved = resolveValue(raw, ctx, 0);
  if (!isObject(resolved)) throw new ServiceFileError(file, 'does not hold a YAML mapping');
  return resolved;
}

const str = (value: YamlValue | undefined): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
const num = (value: YamlValue | undefined): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** Follows a queue/table reference (ARN, `!GetAtt`, `!Ref`, `!Sub`, `!Join`) to the physical name. */
function referencedName(value: YamlValue | undefined, resources: YamlObject, property: string): string | undefined {
  if (typeof value === 'string') {
    // An unresolved variable was already reported; a name cut out of it would be wrong.
    if (value.includes('${')) return undefined;
    // arn:aws:sqs:region:account:name / arn:aws:dynamodb:region:account:table/name/stream/label
    const dynamo = /:table\/([^/]+)/.exec(value);
    if (dynamo) return dynamo[1];
    return value.split(':').pop() || undefined;
  }
  if (!isObject(value)) return undefined;
  const getAtt = value['Fn::GetAtt'];
  const ref = value.Ref;
  const logicalId = Array.isArray(getAtt) ? str(getAtt[0]) : str(ref);
  if (logicalId !== undefined) {
    const resource = resources[logicalId];
    const props = isObject(resource) && isObject(resource.Properties) ? resource.Properties : undefined;
    return str(props?.[property]);
  }
  const sub = value['Fn::Sub'];
  const subText = Array.isArray(sub) ? str(sub[0]) : str(sub);
  if (subText !== undefined) return referencedName(subText.replace(/\$\{AWS::[A-Za-z]+\}/g, 'x'), resources, property);
  const join = value['Fn::Join'];
  if (Array.isArray(join) && Array.isArray(join[1])) {
    const pieces = join[1].map((p) => str(p));
    if (pieces.every((p): p is string => p !== undefined))
      return referencedName(pieces.join(str(join[0]) ?? ''), resources, property);
  }
  return undefined;
}

function resourceProperties(value: YamlValue | undefined, resources: YamlObject): YamlObject | undefined {
  if (!isObject(value)) return undefined;
  const getAtt = value['Fn::GetAtt'];
  const logicalId = Array.isArray(getAtt) ? str(getAtt[0]) : str(value.Ref);
  const resource = logicalId === undefined ? undefined : resources[logicalId];
  return isObject(resource) && isObject(resource.Properties) ? resource.Properties : undefined;
}

/** A DynamoDB table resource's HASH and RANGE key attribute names. */
function tableKeySchema(props: YamlObject | undefined): StreamSource['keySchema'] | undefined {
  const schema = props?.KeySchema;
  if (!Array.isArray(schema)) return undefined;
  const named = (type: string) => {
    const entry = schema.find((k) => isObject(k) && k.KeyType === type);
    return isObject(entry) ? str(entry.AttributeName) : undefined;
  };
  const partitionKey = named('HASH');
  const sortKey = named('RANGE');
  return partitionKey === undefined ? undefined : { partitionKey, ...(sortKey !== undefined ? { sortKey } : {}) };
}

/** Finds the queue resource whose QueueName is `name` (for its redrive policy and visibility timeout). */
function queueResourceNamed(name: string, resources: YamlObject): YamlObject | undefined {
  for (const resource of Object.values(resources)) {
    if (
      isObject(resource) &&
      resource.Type === 'AWS::SQS::Queue' &&
      isObject(resource.Properties) &&
      resource.Properties.QueueName === name
    ) {
      return resource.Properties;
    }
  }
  return undefined;
}

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

function wireFunction(
  service: string,
  serviceDir: string,
  stage: string,
  name: string,
  fn: YamlObject,
  config: YamlObject,
  file: string,
  problems: string[],
): FunctionWiring | undefined {
  const handler = str(fn.handler);
  const where = `${file}: function ${name}`;
  if (handler === undefined) {
    problems.push(`${where} has no handler`);
    return undefined;
  }
  const dot = handler.lastIndexOf('.');
  // Lambda entries live in src/functions/; the runtime composes the same handler from src/handlers/ with local deps.
  const modulePath = (dot > 0 ? handler.slice(0, dot) : handler).replace(/^(\.\/)?src\/functions\//, 'src/handlers/');
  const handlerFile = join(serviceDir, `${modulePath}.ts`);
  const provider = isObject(config.provider) ? config.provider : {};
  const resources =
    isObject(config.resources) && isObject(config.resources.Resources) ? config.resources.Resources : {};
  const providerS3 = isObject(provider.s3) ? provider.s3 : {};
  const events: EventSource[] = [];
  const rawEvents = Array.isArray(fn.events) ? fn.events : [];
  rawEvents.forEach((entry, index) => {
    if (!isObject(entry)) return;
    const [kind, value] = Object.entries(entry)[0] ?? [];
    switch (kind) {
      case 's3': {
        const spec = isObject(value) ? value : { bucket: value ?? null };
        let bucket = str(spec.bucket) ?? referencedName(spec.bucket, resources, 'BucketName');
        // `bucket: photos` may name a provider.s3 entry that carries the real name.
        const declared = bucket === undefined ? undefined : providerS3[bucket];
        if (isObject(declared) && str(declared.name) !== undefined) bucket = str(declared.name);
        if (bucket === undefined) {
          problems.push(`${where}: s3 event ${index + 1} has a bucket the local lake cannot resolve`);
          return;
        }
        const rules = Array.isArray(spec.rules) ? spec.rules.filter(isObject) : [];
        const prefix = rules.map((r) => str(r.prefix)).find((p) => p !== undefined);
        const suffix = rules.map((r) => str(r.suffix)).find((s) => s !== undefined);
        events.push({
          kind: 's3',
          bucket,
          event: str(spec.event) ?? 's3:ObjectCreated:*',
          ...(prefix !== undefined ? { prefix } : {}),
          ...(suffix !== undefined ? { suffix } : {}),
        });
        return;
      }
      case 'sqs': {
        const spec = isObject(value) ? value : { arn: value ?? null };
        const queueName = referencedName(spec.arn, resources, 'QueueName');
        if (queueName === undefined) {
          problems.push(
            `${where}: sqs event ${index + 1} names a queue the local lake cannot resolve (use a literal ARN or !GetAtt of a queue resource with a QueueName)`,
          );
          return;
        }
        const queueProps = resourceProperties(spec.arn, resources) ?? queueResourceNamed(queueName, resources);
        const redrive = isObject(queueProps?.RedrivePolicy) ? queueProps.RedrivePolicy : undefined;
        const deadLetterQueue = redrive
          ? referencedName(redrive.deadLetterTargetArn, resources, 'QueueName')
          : undefined;
        const maxReceiveCount = num(redrive?.maxReceiveCount);
        if (redrive && (deadLetterQueue === undefined || maxReceiveCount === undefined)) {
          problems.push(`${where}: the redrive policy of queue ${queueName} cannot be resolved locally`);
        }
        const visibility = num(queueProps?.VisibilityTimeout);
        events.push({
          kind: 'sqs',
          queueName,
          batchSize: num(spec.batchSize) ?? 10,
          reportBatchItemFailures: spec.functionResponseType === 'ReportBatchItemFailures',
          ...(visibility !== undefined ? { visibilityTimeoutSeconds: visibility } : {}),
          ...(deadLetterQueue !== undefined && maxReceiveCount !== undefined
            ? { redrive: { deadLetterQueue, maxReceiveCount } }
            : {}),
        });
        return;
      }
      case 'eventBridge': {
        const spec = isObject(value) ? value : {};
        const ruleName = `${service}-${stage}-${name}-rule-${index + 1}`;
        if (spec.schedule !== undefined) {
          const expression = str(spec.schedule);
          if (expression === undefined) problems.push(`${where}: eventBridge schedule ${index + 1} is not a string`);
          else
            events.push({
              kind: 'schedule',
              ruleName,
              expression,
              enabled: spec.enabled !== false,
              ...(spec.input !== undefined ? { input: spec.input } : {}),
            });
          return;
        }
        if (!isObject(spec.pattern)) {
          problems.push(`${where}: eventBridge event ${index + 1} has no pattern`);
          return;
        }
        if (spec.eventBus !== undefined && str(spec.eventBus) !== 'default') {
          problems.push(
            `${where}: eventBridge event ${index + 1} uses a custom bus; locally every rule listens on the one in-process bus`,
          );
        }
        events.push({ kind: 'eventBridge', ruleName, pattern: spec.pattern });
        return;
      }
      case 'schedule': {
        const spec = isObject(value) ? value : { rate: value ?? null };
        const rates = Array.isArray(spec.rate) ? spec.rate : [spec.rate];
        rates.forEach((rate, r) => {
          const expression = str(rate);
          if (expression === undefined) {
            problems.push(`${where}: schedule ${index + 1} has no rate`);
            return;
          }
          events.push({
            kind: 'schedule',
            ruleName:
              str(spec.name) ??
              `${service}-${stage}-${name}-schedule-${index + 1}${rates.length > 1 ? `-${r + 1}` : ''}`,
            expression,
            enabled: spec.enabled !== false,
            ...(spec.input !== undefined ? { input: spec.input } : {}),
          });
        });
        return;
      }
      case 'http':
      case 'httpApi': {
        const http = parseHttp(value, kind === 'http' ? 'rest' : 'http');
        if (http === undefined) problems.push(`${where}: ${kind} event ${index + 1} has no method and path`);
        else events.push(http);
        return;
      }
      case 'stream': {
        const spec = isObject(value) ? value : { arn: value ?? null };
        const type =
          str(spec.type) ?? (typeof spec.arn === 'string' && spec.arn.includes(':kinesis:') ? 'kinesis' : 'dynamodb');
        const table = type === 'dynamodb' ? referencedName(spec.arn, resources, 'TableName') : undefined;
        if (table === undefined) {
          problems.push(`${where}: stream event ${index + 1} is not a DynamoDB stream the local lake can resolve`);
          return;
        }
        const keySchema = tableKeySchema(resourceProperties(spec.arn, resources));
        if (keySchema === undefined) {
          problems.push(`${where}: the key schema of table ${table} cannot be read from its resource`);
          return;
        }
        const destinations = isObject(spec.destinations) ? spec.destinations : undefined;
        const onFailure = isObject(destinations?.onFailure) ? destinations.onFailure : destinations?.onFailure;
        const onFailureArn = isObject(onFailure) ? onFailure.arn : onFailure;
        const onFailureQueue =
          onFailureArn === undefined ? undefined : referencedName(onFailureArn, resources, 'QueueName');
        if (onFailureArn !== undefined && onFailureQueue === undefined)
          problems.push(
            `${where}: the on-failure destination of stream event ${index + 1} is not a queue the local lake can resolve`,
          );
        events.push({
          kind: 'stream',
          table,
          keySchema,
          batchSize: num(spec.batchSize) ?? 100,
          batchWindowSeconds: num(spec.batchWindow) ?? 0,
          bisectBatchOnFunctionError: spec.bisectBatchOnFunctionError === true,
          maximumRetryAttempts: num(spec.maximumRetryAttempts) ?? -1,
          reportBatchItemFailures: spec.functionResponseType === 'ReportBatchItemFailures',
          ...(onFailureQueue !== undefined ? { onFailureQueue } : {}),
        });
        return;
      }
      default:
        problems.push(`${where}: event type ${kind ?? '(empty)'} is not known to the local lake`);
    }
  });
  if (!existsSync(handlerFile)) problems.push(`${where}: handler module ${handlerFile} does not exist`);
  return {
    service,
    name,
    functionName: str(fn.name) ?? `${service}-${stage}-${name}`,
    handlerFile,
    handler,
    timeoutSeconds: num(fn.timeout) ?? num(provider.timeout) ?? 6,
    memorySize: num(fn.memorySize) ?? num(provider.memorySize) ?? 1024,
    events,
  };
}

/**
 * Derives the local wiring from every `services/* /serverless.yml` under
 * `options.root`. Unresolvable constructs, and files that are not valid YAML,
 * are listed in `problems` rather than thrown.
 */
export function readLakeWiring(options: WiringOptions): LakeWiring {
  const servicesDir = resolve(options.root, 'services');
  const services: ServiceFile[] = [];
  const functions: FunctionWiring[] = [];
  const problems: string[] = [];
  const dirs = existsSync(servicesDir)
    ? readdirSync(servicesDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  for (const dirName of dirs) {
    const dir = join(servicesDir, dirName);
    const file = join(dir, 'serverless.yml');
    if (!existsSync(file)) {
      problems.push(`services/${dirName} has no serverless.yml yet: its functions are not wired`);
      continue;
    }
    const label = `services/${dirName}/serverless.yml`;
    let config: YamlObject;
    try {
      config = readServiceFile(file, { ...options, label }, problems);
    } catch (error) {
      // One broken file must not take the whole local lake down: its functions are reported as not wired.
      if (!(error instanceof ServiceFileError)) throw error;
      problems.push(`${error.message.replace(file, label)}: its functions are not wired`);
      continue;
    }
    const serviceValue = config.service;
    const service = str(isObject(serviceValue) ? serviceValue.name : serviceValue);
    if (service === undefined) {
      problems.push(`${label} has no \`service\` name: its functions are not wired`);
      continue;
    }
    services.push({ service, dir, file });
    const fns = isObject(config.functions) ? config.functions : {};
    for (const [name, fn] of Object.entries(fns)) {
      if (!isObject(fn)) continue;
      const wired = wireFunction(service, dir, options.stage, name, fn, config, label, problems);
      if (wired) functions.push(wired);
    }
  }
  return { services, functions, problems: [...new Set(problems)] };
}
