/** Wires one event source of a function by its kind: one module per kind, beside this file. */
import type { EventSource } from '../service-files';
import { wireEventBridge } from './event-bridge';
import { wireHttp } from './http';
import { wireS3 } from './s3';
import { wireSchedule } from './schedule';
import { wireSqs } from './sqs';
import { wireStream } from './stream';
import type { LoadedFunction, Wired, WiringContext } from './wiring-context';

export type { LoadedFunction, Wired, WiredParts, WiringContext, WiringSettings } from './wiring-context';

/** Subscribes `fn` to `source` on the local stand-ins. */
export async function wireSource(context: WiringContext, fn: LoadedFunction, source: EventSource): Promise<Wired> {
  switch (source.kind) {
    case 's3':
      return wireS3(context, fn, source);
    case 'sqs':
      return wireSqs(context, fn, source);
    case 'eventBridge':
      return wireEventBridge(context, fn, source);
    case 'schedule':
      return wireSchedule(context, fn, source);
    case 'http':
      return wireHttp(context, fn, source);
    case 'stream':
      return wireStream(context, fn, source);
  }
}
