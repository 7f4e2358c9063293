/**
 * Parameter validation for named queries. Values arrive as text (query string,
 * JSON body, CLI flags) and leave typed, or not at all: every problem is
 * listed in words a partner can act on, without echoing the value (a partner
 * might paste a raw patient identifier where a token belongs).
 */
import type { QueryParameter } from '../ports';
import { RefusalError } from '../refusal';

/** Parameters that do not fit the named query; `problems` lists each one. */
export class ParameterError extends RefusalError {
  override name = 'ParameterError';
  /** Safe to show to the partner who sent the request. */
  constructor(
    readonly query: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(
      'invalid',
      'invalid_parameters',
      `parameters for ${query} are not valid: ${problems.join('; ')}`,
      { problems },
      options,
    );
  }
}

interface ParameterBase {
  name: string;
  description: string;
  required?: boolean;
  /** The value, as text, used when the caller gives none (checked like a caller's value when the query is defined). */
  default?: string;
}

export type ParameterSpec =
  | (ParameterBase & { type: 'date' })
  | (ParameterBase & { type: 'integer' | 'number'; min?: number; max?: number })
  | (ParameterBase & {
      type: 'string';
      /** Regular expression source the whole value must match (anchored by the validator). */
      pattern?: string;
      /** The pattern in words, for error messages ("64 lowercase hex characters"). */
      patternHint?: string;
      /** Allowed values (matched case-insensitively, bound as written here). */
      allowed?: readonly string[];
      maxLength?: number;
    });

/** A rule over two date parameters: `to` not before `from`, and at most `maxDays` apart. */
export interface DateSpanRule {
  kind: 'date_span';
  from: string;
  to: string;
  maxDays: number;
}

/** What validation needs of a named query: its name, its parameters and their rules. */
export interface ParameterizedQuery {
  name: string;
  parameters: readonly ParameterSpec[];
  rules?: readonly DateSpanRule[];
}

/** Longest value accepted for any parameter before it is even looked at. */
const MAX_VALUE_LENGTH = 256;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INTEGER = /^-?\d{1,15}$/;
const NUMBER = /^-?\d{1,15}(?:\.\d{1,15})?$/;
/** Control characters, and the invisible or direction-changing ones used to make two strings look alike. */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/u;

/** Days since 1970-01-01 of a valid YYYY-MM-DD, or undefined when it is not a real date. */
export function dayNumber(text: string): number | undefined {
  const match = DATE.exec(text);
  if (match === null) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (year < 1900 || back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day)
    return undefined;
  return ms / 86_400_000;
}

function describeBounds(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` of at least ${min}`;
  if (max !== undefined) return ` of at most ${max}`;
  return '';
}

/** One parameter's typed value, or the problem with it. */
function convert(spec: ParameterSpec, text: string): { value: QueryParameter } | { problem: string } {
  const fail = (problem: string) => ({ problem: `${spec.name}: ${problem}` });
  if (text.length > MAX_VALUE_LENGTH) return fail(`is longer than ${MAX_VALUE_LENGTH} characters`);
  if (INVISIBLE.test(text)) return fail('contains control or invisible characters');
  switch (spec.type) {
    case 'date':
      return dayNumber(text) === undefined
        ? fail('must be a real calendar date written YYYY-MM-DD (e.g. 2024-03-01)')
        : { value: text };
    case 'integer':
    case 'number': {
      const pattern = spec.type === 'integer' ? INTEGER : NUMBER;
      const kind = spec.type === 'integer' ? 'a whole number' : 'a number';
      const value = Number(text);
      if (!pattern.test(text) || !Number.isFinite(value))
        return fail(`must be ${kind}${describeBounds(spec.min, spec.max)}, written with digits only`);
      if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
        return fail(`must be ${kind}${describeBounds(spec.min, spec.max)}`);
      }
      return { value };
    }
    case 'string': {
      if (spec.maxLength !== undefined && text.length > spec.maxLength)
        return fail(`is longer than ${spec.maxLength} characters`);
      if (spec.allowed !== undefined) {
        const match = spec.allowed.find((a) => a.toLowerCase() === text.toLowerCase());
        // The canonical spelling is bound, so `sg` and `SG` select the same rows.
        return match === undefined ? fail(`must be one of ${spec.allowed.join(', ')}`) : { value: match };
      }
      if (spec.pattern !== undefined && !new RegExp(`^(?:${spec.pattern})$`).test(text)) {
        return fail(`must be ${spec.patternHint ?? `text matching ${spec.pattern}`}`);
      }
      return { value: text };
    }
  }
}

/** What is wrong with `text` as a value of `spec`, or undefined when it is fine. */
export function parameterProblem(spec: ParameterSpec, text: string): string | undefined {
  const result = convert(spec, text);
  return 'problem' in result ? result.problem : undefined;
}

function checkSpan(rule: DateSpanRule, values: Record<string, QueryParameter>): string | undefined {
  const from = values[rule.from];
  const to = values[rule.to];
  if (typeof from !== 'string' || typeof to !== 'string') return undefined;
  const days = (dayNumber(to) ?? 0) - (dayNumber(from) ?? 0);
  if (days < 0) return `${rule.to} must not be before ${rule.from}`;
  if (days + 1 > rule.maxDays)
    return `${rule.from}..${rule.to} spans ${days + 1} days; at most ${rule.maxDays} are allowed per query`;
  return undefined;
}

/**
 * Validates text parameters against a named query's declared ones and
 * returns the typed values by name (null for optional parameters not given).
 * Throws ParameterError listing every problem: unknown names, missing
 * required ones, wrong types, out-of-bounds values, broken date spans.
 */
export function validateParameters(
  query: ParameterizedQuery,
  params: Readonly<Record<string, string>>,
): Record<string, QueryParameter> {
  const problems: string[] = [];
  const specs = new Map(query.parameters.map((p) => [p.name, p]));
  const known = query.parameters.map((p) => p.name).join(', ') || 'none';
  for (const name of Object.keys(params)) {
    // The name is echoed only when it is a plain word, so a hostile name cannot smuggle text into logs.
    if (!specs.has(name))
      problems.push(
        `${/^[a-z][a-z0-9_]{0,40}$/.test(name) ? name : 'a parameter'} is not a parameter of ${query.name} (it takes: ${known})`,
      );
  }
  const values: Record<string, QueryParameter> = {};
  for (const spec of query.parameters) {
    const given = Object.hasOwn(params, spec.name) ? params[spec.name] : undefined;
    const text = given === undefined || given.trim() === '' ? spec.default : given;
    if (text === undefined || text.trim() === '') {
      if (spec.required === true) problems.push(`${spec.name} is required: ${spec.description}`);
      values[spec.name] = null;
      continue;
    }
    const result = convert(spec, text);
    if ('problem' in result) problems.push(result.problem);
    else values[spec.name] = result.value;
  }
  for (const rule of query.rules ?? []) {
    const problem = checkSpan(rule, values);
    if (problem !== undefined) problems.push(problem);
  }
  if (problems.length > 0) throw new ParameterError(query.name, problems);
  return values;
}
