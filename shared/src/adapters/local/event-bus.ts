/**
 * EventBridge in process: `publish` turns LakeEvents into EventBridge-shaped
 * events and delivers them, asynchronously as EventBridge does, to every rule
 * whose pattern matches. A failed delivery is retried (Lambda's async invoke
 * retries twice) and then reported.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { EventBus, LakeEvent } from '../../ports';
import { describeError } from './files';
import { createPendingWork, reportToStderr } from './pending-work';

export type BusEvent = EventBridgeEvent<string, unknown>;

/**
 * An EventBridge event pattern: each field lists the accepted values; nested
 * objects match nested fields (e.g. `detail`). Besides plain values,
 * `{ prefix }`, `{ 'anything-but': [...] }` and `{ exists }` are understood.
 */
export interface EventPattern {
  [field: string]: PatternValue[] | EventPattern;
}
export type PatternValue =
  | string
  | number
  | boolean
  | null
  | { prefix: string }
  | { 'anything-but': (string | number)[] }
  | { exists: boolean };

export interface BusRule {
  name: string;
  pattern: EventPattern;
  target: (event: BusEvent) => Promise<void> | void;
}

export interface LocalEventBus extends EventBus {
  /** Adds a rule; returns a function that removes it. */
  addRule(rule: BusRule): () => void;
  /** Resolves when every delivery (and its retries) has finished. */
  idle(): Promise<void>;
  /** Deliveries still running (retries included). */
  inFlight(): number;
}

export interface LocalEventBusOptions {
  region?: string;
  account?: string;
  now?: () => Date;
  retryAttempts?: number;
  retryDelayMs?: number;
  onError?: (error: unknown) => void;
}

/** A delivery that still failed after its retries. */
export class EventDeliveryError extends Error {
  override name = 'EventDeliveryError';
  constructor(rule: string, detailType: string, attempts: number, options?: { cause?: unknown }) {
    const why = options?.cause === undefined ? '' : `: ${describeError(options.cause)}`;
    super(`rule ${rule} failed to handle a "${detailType}" event after ${attempts} attempts${why}`, options);
  }
}

function matchesValue(actual: unknown, accepted: PatternValue[]): boolean {
  const candidates = Array.isArray(actual) ? (actual as unknown[]) : [actual];
  return accepted.some((rule) => {
    if (rule !== null && typeof rule === 'object') {
      if ('exists' in rule) return rule.exists === (actual !== undefined);
      if ('prefix' in rule) return candidates.some((c) => typeof c === 'string' && c.startsWith(rule.prefix));
      return actual !== undefined && candidates.every((c) => !rule['anything-but'].some((v) => v === c));
    }
    return candidates.some((c) => c === rule);
  });
}

/** True when `event` matches the EventBridge `pattern` (every field named by the pattern must match). */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  const record = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  return Object.entries(pattern).every(([field, expected]) =>
    Array.isArray(expected) ? matchesValue(record[field], expected) : matchesPattern(expected, record[field]),
  );
}

/** Builds the in-process bus. */
export function buildLocalEventBus(options: LocalEventBusOptions = {}): LocalEventBus {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const now = options.now ?? (() => new Date());
  const attempts = 1 + (options.retryAttempts ?? 2);
  const retryDelayMs = options.retryDelayMs ?? 200;
  const pending = createPendingWork(options.onError ?? reportToStderr('eventbridge'));
  const rules = new Set<BusRule>();

  return {
    async publish(events: LakeEvent[]) {
      for (const event of events) {
        const busEvent: BusEvent = {
          version: '0',
          id: randomUUID(),
          'detail-type': event.detailType,
          source: event.source,
          account,
          time: now()
            .toISOString()
            .replace(/\.\d{3}Z$/, 'Z'),
          region,
          resources: [],
          // Events cross a service boundary as JSON: a target never shares objects with the publisher.
          detail: JSON.parse(JSON.stringify(event.detail ?? {})) as unknown,
        };
        for (const rule of rules) {
          if (!matchesPattern(rule.pattern, busEvent)) continue;
          pending.spawn(async () => {
            for (let attempt = 1; ; attempt += 1) {
              try {
                await rule.target(structuredClone(busEvent));
                return;
              } catch (error) {
                if (attempt >= attempts)
                  throw new EventDeliveryError(rule.name, busEvent['detail-type'], attempts, { cause: error });
                await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
              }
            }
          });
        }
      }
    },
    addRule(rule) {
      rules.add(rule);
      return () => {
        rules.delete(rule);
      };
    },
    idle: () => pending.idle(),
    inFlight: () => pending.size,
  };
}
