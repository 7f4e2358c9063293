/**
 * The inside of a function worker process (see function-workers.ts): a warm
 * Lambda container for one function. It builds the local stand-ins over the
 * same $LAKE_HOME, loads the function's handler, and runs each event the
 * parent sends. The stand-ins that live in the parent's memory are reached over
 * IPC: events it publishes go to the parent's bus, and objects it writes are
 * announced to the parent's S3 notifications.
 *
 *   node --import tsx function-worker.ts   (forked, with WORKER_SETTINGS in its env)
 */
import type { Context } from 'aws-lambda';
import { pathToFileURL } from 'node:url';
import { s3ObjectsFromEvent } from '@pulse-lake/shared/edge/lambda';
import { buildLocalLake } from '@pulse-lake/shared/adapters/local/index';
import type { EventBus, LakeDeps, LakeEvent } from '@pulse-lake/shared/ports';
import { lambdaContext } from './lambda-context';
import type { ParentMessage, WorkerMessage, WorkerSettings } from './function-worker-protocol';

const settings = JSON.parse(process.env.WORKER_SETTINGS ?? '{}') as WorkerSettings;
const send = (message: WorkerMessage) => process.send?.(message);

// Publishes wait for the parent to take the events, as PutEvents returns once EventBridge has them.
let nextPublish = 0;
const publishing = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
const bus: EventBus = {
  publish: (events: LakeEvent[]) =>
    new Promise<void>((resolve, reject) => {
      const id = nextPublish++;
      publishing.set(id, { resolve, reject });
      send({ kind: 'publish', id, events });
    }),
};

const lake = buildLocalLake(settings.home, {
  stage: settings.stage,
  region: settings.region,
  account: settings.accountId,
  onError: (component, error) =>
    process.stderr.write(
      `[lake worker ${settings.functionName} ${component}] ${error instanceof Error ? error.message : 'non-error thrown'}\n`,
    ),
});
lake.store.onObjectCreated(undefined, (record) => {
  for (const object of s3ObjectsFromEvent({ Records: [record] }))
    send({ kind: 'created', ...object, eventName: record.eventName });
});
const deps: LakeDeps = { ...lake, bus };
const module = (await import(pathToFileURL(settings.handlerFile).href)) as {
  createHandler: (deps: LakeDeps) => (event: unknown, context: Context) => Promise<unknown>;
};
const handler = module.createHandler(deps);

process.on('message', (message: ParentMessage) => {
  switch (message.kind) {
    case 'published': {
      const waiting = publishing.get(message.id);
      publishing.delete(message.id);
      if (message.error === undefined) waiting?.resolve();
      else waiting?.reject(new Error(message.error));
      break;
    }
    case 'invoke': {
      const context = lambdaContext({
        functionName: settings.functionName,
        timeoutSeconds: settings.timeoutSeconds,
        memorySize: settings.memorySize,
        region: settings.region,
        accountId: settings.accountId,
      });
      handler(message.event, context).then(
        (result) => send({ kind: 'result', id: message.id, result }),
        (error: unknown) =>
          send({
            kind: 'failed',
            id: message.id,
            error: {
              name: error instanceof Error ? error.name : 'Error',
              message: error instanceof Error ? error.message : 'non-error thrown',
            },
          }),
      );
      break;
    }
    case 'stop':
      void lake.close().finally(() => process.exit(0));
      break;
  }
});
// The runtime died (killed, crashed): a container without its Lambda service stops too.
process.on('disconnect', () => process.exit(1));
send({ kind: 'ready' });
