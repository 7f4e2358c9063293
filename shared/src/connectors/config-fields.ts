/**
 * The field schemas connector files are checked with (connectors/config.ts):
 * each says what was wrong in words an engineer can act on, naming the field,
 * and never echoes a value that may be a secret.
 */
import { z } from 'zod';

/** Secret names: an SSM parameter name under the stage's connector prefix, or a key of the local secrets file. */
const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_./-]{0,199}$/;

/** True when `url` may carry credentials: https anywhere, http only to this machine. */
export function isAllowedOrigin(url: URL): boolean {
  return (
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
  );
}

/** A non-empty string (not only blanks). */
export const text = (label: string) =>
  z
    .string({ error: `${label} must be a non-empty string` })
    .refine((value) => value.trim() !== '', { error: `${label} must be a non-empty string`, abort: true });

/** A non-empty string matching `pattern`; the message quotes what was written (never used for secrets). */
export const matching = (label: string, pattern: RegExp) =>
  text(label).refine((value) => pattern.test(value), {
    error: (issue) => `${label} ${JSON.stringify(String(issue.input).slice(0, 80))} must match ${pattern.source}`,
    abort: true,
  });

/** A secret's name; a value that is not one may be the secret itself pasted in, so it is never echoed. */
export const secretName = (label: string) => {
  const error = `${label} must be the name of a secret (letters, digits, . _ / -), never the secret itself`;
  return z.string({ error }).regex(SECRET_NAME, { error });
};

/** A whole number in `min..max`; absent (or null) is `fallback` when there is one. */
export const wholeNumber = (label: string, min: number, max: number, fallback?: number) => {
  const error = `${label} must be a whole number ${min}..${max}`;
  const number = z.number({ error }).refine((n) => Number.isInteger(n) && n >= min && n <= max, { error });
  return fallback === undefined ? number : z.preprocess((value) => value ?? fallback, number);
};

/** Any JSON object (not an array, not null). */
export const object = (label: string) => z.looseObject({}, { error: `${label} must be an object` });

/** True for a JSON object: not an array, not null. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An absolute URL that may carry credentials (isAllowedOrigin) and holds none itself, without its trailing slashes. */
export const url = (label: string) =>
  text(label).transform((value, ctx) => {
    const fail = (message: string) => {
      ctx.issues.push({ code: 'custom', message, input: value });
      return z.NEVER;
    };
    if (!URL.canParse(value)) return fail(`${label} is not a URL`);
    const parsed = new URL(value);
    if (!isAllowedOrigin(parsed))
      return fail(
        `${label} must be https (plain http only to 127.0.0.1 or localhost), so credentials never cross a network in clear`,
      );
    if (parsed.username !== '' || parsed.password !== '')
      return fail(`${label} must not hold credentials; use auth with a secret reference`);
    return value.replace(/\/+$/, '');
  });

/** An object whose `type` (a string) names its variant; the variants' schemas follow it in a pipe. */
export const typed = (label: string, kinds: string) =>
  z.looseObject(
    { type: z.string({ error: `${label}.type must be ${kinds}` }) },
    { error: `${label} must be an object` },
  );
