/**
 * Serverless variables resolved for the local stage: `${sls:stage}`,
 * `${opt:stage, 'dev'}`, `${self:...}`, `${param:...}`, `${aws:region}`,
 * `${env:X}`, with `, `-separated fallbacks. Written here rather than borrowed
 * from the `serverless` package, whose resolver is internal to it and reaches
 * AWS for some sources; a source the local lake cannot answer is reported, never guessed.
 */
import type { YamlObject, YamlValue } from './yaml';
import { getPath, isObject } from './yaml';

/** What the variables resolve against; unresolvable ones are added to `problems`. */
export interface VariableContext {
  /** The whole file, as read: `${self:...}` and `${param:...}` look into it. */
  raw: YamlValue;
  /** How problems name the file. */
  file: string;
  stage: string;
  region: string;
  accountId: string;
  env: Record<string, string | undefined>;
  problems: string[];
}

const VARIABLE = /\$\{([^${}]*)\}/g;
const WHOLE_VARIABLE = /^\$\{([^${}]*)\}$/;
// Only Serverless sources are ours; `${AWS::Region}` or `${Queue.Arn}` inside Fn::Sub belong to CloudFormation.
const SERVERLESS_SOURCE = /^\s*(self|opt|sls|aws|env|file|cf|ssm|s3|param|strToBool|git)\s*:/;

/** One variable's value, trying each `, `-separated alternative in turn (Serverless fallbacks). */
function resolveVariable(expression: string, ctx: VariableContext, depth: number): YamlValue | undefined {
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

function resolveString(text: string, ctx: VariableContext, depth: number): YamlValue {
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

function resolveValue(value: YamlValue, ctx: VariableContext, depth: number): YamlValue {
  if (typeof value === 'string') return resolveString(value, ctx, depth);
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, ctx, depth));
  if (isObject(value)) {
    const out: YamlObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveValue(v, ctx, depth);
    return out;
  }
  return value;
}

/** `ctx.raw` with every Serverless variable in it resolved for the local stage. */
export function resolveVariables(ctx: VariableContext): YamlValue {
  return resolveValue(ctx.raw, ctx, 0);
}
