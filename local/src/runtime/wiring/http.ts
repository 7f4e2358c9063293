/** HTTP routes: collected for the one gateway startLake serves (`lake up`); one-shot runs serve none. */
import type { EventSource } from '../service-files';
import type { LoadedFunction, Wired, WiringContext } from './wiring-context';

export function wireHttp(
  context: WiringContext,
  fn: LoadedFunction,
  source: Extract<EventSource, { kind: 'http' }>,
): Wired {
  if (!context.settings.serveHttp)
    return { unserved: `${source.method} ${source.path}: no HTTP server in one-shot runs (lake up serves it)` };
  context.parts.httpRoutes.push({ source, functionName: fn.wiring.functionName, invoke: (event) => fn.invoke(event) });
  return {
    served: `${fn.id} <- http ${source.method} ${source.path}${source.iamAuthorized === true ? ' (aws_iam not enforced locally; bound to 127.0.0.1)' : ''}`,
  };
}
