/** Loads a function's handler module as serverless.yml names it, the way Lambda's runtime does at a cold start. */
import type { Context } from 'aws-lambda';
import { pathToFileURL } from 'node:url';
import type { LakeDeps } from '@pulse-lake/shared/ports';
import type { FunctionWiring } from './service-files';

/** A Lambda handler as the services export it from `createHandler(deps)`. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** A handler module exists but does not export `createHandler(deps)`. */
export class HandlerModuleError extends Error {
  override name = 'HandlerModuleError';
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
  }
}

/** Imports `fn`'s handler file and builds its handler over `deps`. */
export async function loadHandler(fn: FunctionWiring, deps: LakeDeps): Promise<LambdaHandler> {
  let module: { createHandler?: unknown };
  try {
    module = (await import(pathToFileURL(fn.handlerFile).href)) as { createHandler?: unknown };
  } catch (error) {
    const why = error instanceof Error ? `: ${error.message.split('\n')[0] ?? ''}` : '';
    throw new HandlerModuleError(fn.handlerFile, `cannot be loaded for ${fn.service}.${fn.name}${why}`, {
      cause: error,
    });
  }
  if (typeof module.createHandler !== 'function')
    throw new HandlerModuleError(fn.handlerFile, 'does not export createHandler(deps)');
  const handler: unknown = (module.createHandler as (deps: LakeDeps) => unknown)(deps);
  if (typeof handler !== 'function')
    throw new HandlerModuleError(fn.handlerFile, 'createHandler(deps) did not return a handler function');
  return handler as LambdaHandler;
}
