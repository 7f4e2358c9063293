/** Schedules: `rate()` and `cron()` rules fire the function with their input; a disabled one is listed as unserved. */
import type { EventSource } from '../service-files';
import type { LoadedFunction, Wired, WiringContext } from './wiring-context';

export function wireSchedule(
  context: WiringContext,
  fn: LoadedFunction,
  source: Extract<EventSource, { kind: 'schedule' }>,
): Wired {
  if (!source.enabled) return { unserved: `schedule ${source.expression} is disabled in serverless.yml` };
  context.parts.unsubscribes.push(
    context.lake.scheduler.schedule(
      source.ruleName,
      source.expression,
      async (event) => void (await fn.invoke(event)),
      source.input !== undefined ? { input: source.input } : {},
    ),
  );
  return { served: `${fn.id} <- schedule ${source.expression}` };
}
