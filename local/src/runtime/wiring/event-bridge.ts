/** EventBridge rules: events matching the function's pattern on the local bus invoke it. */
import type { EventPattern } from '@pulse-lake/shared/adapters/local/index';
import type { EventSource } from '../service-files';
import type { LoadedFunction, Wired, WiringContext } from './wiring-context';

export function wireEventBridge(
  context: WiringContext,
  fn: LoadedFunction,
  source: Extract<EventSource, { kind: 'eventBridge' }>,
): Wired {
  context.parts.unsubscribes.push(
    context.lake.bus.addRule({
      name: source.ruleName,
      pattern: source.pattern as EventPattern,
      target: async (event) => void (await fn.invoke(event)),
    }),
  );
  return { served: `${fn.id} <- eventbridge ${JSON.stringify(source.pattern)}` };
}
