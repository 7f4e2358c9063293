/**
 * EventBridge schedules on timers in this process, firing "Scheduled Event"
 * events at targets (expressions are read by schedules/schedule-expressions.ts).
 */
import type { ScheduledEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { nextFireTime, parseScheduleExpression } from '../../schedules/schedule-expressions';
import { createPendingWork, reportToStderr } from './pending-work';

export { nextFireTime, parseScheduleExpression, ScheduleExpressionError } from '../../schedules/schedule-expressions';

export interface ScheduleOptions {
  /** Constant input instead of the Scheduled Event (serverless.yml `schedule.input`). */
  input?: unknown;
}

export interface LocalScheduler {
  /** Fires `target` at every time `expression` names, until the returned function is called. */
  schedule(
    name: string,
    expression: string,
    target: (event: ScheduledEvent<unknown>) => Promise<void> | void,
    options?: ScheduleOptions,
  ): () => void;
  /** Resolves when every firing in progress has finished. */
  idle(): Promise<void>;
  /** Firings whose target is still running. */
  inFlight(): number;
  stop(): Promise<void>;
}

/** Builds the scheduler: timers in this process, one per rule. */
export function buildLocalScheduler(
  options: { region?: string; account?: string; now?: () => Date; onError?: (error: unknown) => void } = {},
): LocalScheduler {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const now = options.now ?? (() => new Date());
  const pending = createPendingWork(options.onError ?? reportToStderr('scheduler'));
  const cancels = new Set<() => void>();

  return {
    schedule(name, expression, target, scheduleOptions = {}) {
      parseScheduleExpression(expression);
      const anchor = now();
      let timer: NodeJS.Timeout | undefined;
      let cancelled = false;
      const arm = (after: Date) => {
        const at = nextFireTime(expression, after, anchor);
        // setTimeout holds at most ~24.8 days; longer waits re-arm on the way.
        const wait = Math.min(Math.max(0, at.getTime() - now().getTime()), 2 ** 31 - 1);
        timer = setTimeout(() => {
          if (cancelled) return;
          if (now().getTime() < at.getTime()) return arm(after);
          const event: ScheduledEvent<unknown> = {
            version: '0',
            id: randomUUID(),
            'detail-type': 'Scheduled Event',
            source: 'aws.events',
            account,
            time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
            region,
            resources: [`arn:aws:events:${region}:${account}:rule/${name}`],
            detail: {},
          };
          const payload = (scheduleOptions.input ?? event) as ScheduledEvent<unknown>;
          pending.spawn(async () => {
            await target(structuredClone(payload));
          });
          arm(at);
        }, wait);
        timer.unref();
      };
      arm(anchor);
      const cancel = () => {
        cancelled = true;
        if (timer !== undefined) clearTimeout(timer);
        cancels.delete(cancel);
      };
      cancels.add(cancel);
      return cancel;
    },
    idle: () => pending.idle(),
    inFlight: () => pending.size,
    async stop() {
      for (const cancel of [...cancels]) cancel();
      await pending.idle();
    },
  };
}
