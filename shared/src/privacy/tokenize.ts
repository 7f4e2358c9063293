/**
 * Pseudonymization of identifiers: keyed HMAC-SHA256, so the same patient id
 * gives the same token in every dataset (joins still work) while nobody without
 * the key can recompute or reverse it. The namespace keeps kinds apart: a
 * patient id and a device serial spelled the same give different tokens.
 */
import { createHmac } from 'node:crypto';

export interface Tokenizer {
  /**
   * The token (64 lower-case hex characters) of `value` in `namespace`
   * (e.g. `patient_token`). The value is trimmed and upper-cased first, so
   * ` sg-mrn-001` and `SG-MRN-001` are the same patient.
   */
  token(namespace: string, value: string): string;
  /** `token` for one namespace, its cache found once: what a per-row step holds. */
  forNamespace(namespace: string): (value: string) => string;
}

/**
 * A copy of `value` that does not keep its source alive: a field split from a
 * 64 KiB piece of a file may be a slice of that piece, and a cache key holding
 * one would pin the whole piece for the cache's lifetime.
 */
function ownCopy(value: string): string {
  return Buffer.from(value, 'utf8').toString('utf8');
}

/** The pseudonymization key is unusable (too short to be a secret). */
export class PseudonymizationKeyError extends Error {
  override name = 'PseudonymizationKeyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Below this a key could be guessed; KeyStore implementations generate 32 bytes. */
export const MIN_KEY_BYTES = 16;

/** Distinct (namespace, value) pairs kept; a daily vitals file has a few thousand patients. */
const DEFAULT_CACHE_SIZE = 100_000;

/**
 * A tokenizer on `key`. Tokens are cached per raw value (bounded: a full
 * cache is emptied): the same few thousand patients recur on every row, and an
 * HMAC per row costs about as much as the rest of the row pipeline.
 */
export function createTokenizer(key: Buffer, options: { cacheSize?: number } = {}): Tokenizer {
  if (key.length < MIN_KEY_BYTES) {
    throw new PseudonymizationKeyError(
      `the pseudonymization key is ${key.length} bytes; at least ${MIN_KEY_BYTES} are required (32 recommended)`,
    );
  }
  // Copied so a caller zeroing or reusing its buffer cannot change tokens mid-run.
  const secret = Buffer.from(key);
  const limit = Math.max(1, options.cacheSize ?? DEFAULT_CACHE_SIZE);
  // One map per namespace, keyed by the raw value: a concatenated cache key would
  // cost a string flatten and hash on every lookup, the hot path of every row.
  const caches = new Map<string, Map<string, string>>();
  let cached = 0;
  const tokenIn = (namespace: string, cache: Map<string, string>, value: string): string => {
    const hit = cache.get(value);
    if (hit !== undefined) return hit;
    const token = createHmac('sha256', secret)
      .update(namespace, 'utf8')
      .update('\u0000', 'utf8')
      .update(value.trim().toUpperCase(), 'utf8')
      .digest('hex');
    if (cached >= limit) {
      // Bounded: start afresh rather than track recency per entry.
      for (const other of caches.values()) other.clear();
      cached = 0;
    }
    cache.set(ownCopy(value), token);
    cached++;
    return token;
  };
  const cacheOf = (namespace: string): Map<string, string> => {
    let cache = caches.get(namespace);
    if (cache === undefined) caches.set(namespace, (cache = new Map()));
    return cache;
  };
  return {
    token: (namespace, value) => tokenIn(namespace, cacheOf(namespace), value),
    forNamespace(namespace) {
      const cache = cacheOf(namespace);
      return (value) => tokenIn(namespace, cache, value);
    },
  };
}

let kept: { key: Buffer; tokenizer: Tokenizer } | undefined;

/**
 * The tokenizer on `key`, kept from one call to the next while the key stays
 * the same: a warm Lambda (or local worker) normalizing batch after small batch
 * then keeps its token cache instead of paying an HMAC per row again.
 */
export function keptTokenizer(key: Buffer): Tokenizer {
  if (kept === undefined || !kept.key.equals(key)) kept = { key: Buffer.from(key), tokenizer: createTokenizer(key) };
  return kept.tokenizer;
}
