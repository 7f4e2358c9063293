/**
 * Reads every `services/<name>/serverless.yml` and derives the local wiring
 * from it: which handler module each function is, and which event sources
 * feed it. Nothing here restates a bucket, queue, rule or route: if the
 * service file changes, the local lake follows (DESIGN section 3).
 *
 * The parts live in service-files/: the YAML reading with CloudFormation's
 * short tags (yaml.ts), the Serverless variables (variables.ts), and the
 * events of a function (function-events.ts, following references through resources.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EventSource } from './service-files/event-sources';
import { functionEvents } from './service-files/function-events';
import { num, str } from './service-files/resources';
import { resolveVariables } from './service-files/variables';
import type { YamlObject } from './service-files/yaml';
import { isObject, parseYaml } from './service-files/yaml';

export type {
  EventBridgeSource,
  EventSource,
  HttpSource,
  RulePattern,
  S3Source,
  ScheduleSource,
  SqsSource,
  StreamSource,
} from './service-files/event-sources';
export type { YamlValue } from './service-files/yaml';

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
  const parsed = parseYaml(text);
  if ('error' in parsed) throw new ServiceFileError(file, `is not valid YAML: ${parsed.error}`);
  const raw = parsed.value;
  if (!isObject(raw)) throw new ServiceFileError(file, 'does not hold a YAML mapping');
  const resolved = resolveVariables({
    raw,
    file: options.label ?? file,
    stage: options.stage,
    region: options.region,
    accountId: options.accountId ?? '000000000000',
    env: options.env ?? process.env,
    problems,
  });
  if (!isObject(resolved)) throw new ServiceFileError(file, 'does not hold a YAML mapping');
  return resolved;
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
  const events = functionEvents(fn.events, { service, stage, name, where, resources, providerS3, problems });
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
