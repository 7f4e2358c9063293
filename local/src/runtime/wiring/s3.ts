/** S3 notifications: the bucket's ObjectCreated events, filtered as serverless.yml says, invoke the function asynchronously. */
import type { S3Event, S3EventRecord } from 'aws-lambda';
import type { EventSource } from '../service-files';
import type { LoadedFunction, Wired, WiringContext } from './wiring-context';

type S3Source = Extract<EventSource, { kind: 's3' }>;

function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** S3 notification filters: event name (with `*`), key prefix and suffix. */
function s3Matches(source: S3Source, record: S3EventRecord): boolean {
  const wanted = source.event.replace(/^s3:/, '');
  const eventOk = wanted.endsWith('*') ? record.eventName.startsWith(wanted.slice(0, -1)) : record.eventName === wanted;
  const key = decodeS3Key(record.s3.object.key);
  return (
    eventOk &&
    (source.prefix === undefined || key.startsWith(source.prefix)) &&
    (source.suffix === undefined || key.endsWith(source.suffix))
  );
}

export function wireS3(context: WiringContext, fn: LoadedFunction, source: S3Source): Wired {
  context.parts.unsubscribes.push(
    context.lake.store.onObjectCreated(source.bucket, async (record) => {
      if (!s3Matches(source, record)) return;
      const event: S3Event = { Records: [record] };
      await fn.invokeAsync(event);
    }),
  );
  return {
    served: `${fn.id} <- s3 ${source.bucket}${source.prefix ? `/${source.prefix}` : ''}${source.suffix ? ` *${source.suffix}` : ''}`,
  };
}
