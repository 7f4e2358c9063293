/**
 * Following a service file's references (ARNs, `!GetAtt`, `!Ref`, `!Sub`,
 * `!Join`) to the CloudFormation resources under `resources.Resources` that
 * declare the physical names, key schemas and queue settings.
 */
import type { StreamSource } from './event-sources';
import type { YamlObject, YamlValue } from './yaml';
import { isObject } from './yaml';

export const str = (value: YamlValue | undefined): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

export const num = (value: YamlValue | undefined): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** Follows a queue/table reference (ARN, `!GetAtt`, `!Ref`, `!Sub`, `!Join`) to the physical name. */
export function referencedName(
  value: YamlValue | undefined,
  resources: YamlObject,
  property: string,
): string | undefined {
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

/** The `Properties` of the resource a `!GetAtt` or `!Ref` points at. */
export function resourceProperties(value: YamlValue | undefined, resources: YamlObject): YamlObject | undefined {
  if (!isObject(value)) return undefined;
  const getAtt = value['Fn::GetAtt'];
  const logicalId = Array.isArray(getAtt) ? str(getAtt[0]) : str(value.Ref);
  const resource = logicalId === undefined ? undefined : resources[logicalId];
  return isObject(resource) && isObject(resource.Properties) ? resource.Properties : undefined;
}

/** A DynamoDB table resource's HASH and RANGE key attribute names. */
export function tableKeySchema(props: YamlObject | undefined): StreamSource['keySchema'] | undefined {
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
export function queueResourceNamed(name: string, resources: YamlObject): YamlObject | undefined {
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
