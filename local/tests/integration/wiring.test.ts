import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/runtime/runtime';
import { readLakeWiring } from '../../src/runtime/service-files';

// The local runtime serves these kinds; DynamoDB streams are reported by `lake up` as not served locally yet.
const SERVED_LOCALLY = new Set(['s3', 'sqs', 'eventBridge', 'schedule', 'http']);
const REPORTED_AS_NOT_SERVED = new Set(['stream']);

describe('the local wiring derived from the services', () => {
  const wiring = readLakeWiring({ root: REPO_ROOT, stage: 'local', region: 'us-east-1' });

  it('reads every service file without a problem', () => {
    const serviceDirs = readdirSync(join(REPO_ROOT, 'services'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect(wiring.problems).toEqual([]);
    expect(wiring.services.map((s) => s.dir.split('/').pop()).sort()).toEqual(serviceDirs.sort());
  });

  it('wires every function of every service to at least one local event source', () => {
    expect(wiring.functions.length).toBeGreaterThan(0);
    for (const fn of wiring.functions) {
      expect({ fn: `${fn.service}.${fn.name}`, events: fn.events.length > 0 }).toEqual({
        fn: `${fn.service}.${fn.name}`,
        events: true,
      });
      for (const event of fn.events) {
        expect({
          fn: fn.name,
          kind: event.kind,
          known: SERVED_LOCALLY.has(event.kind) || REPORTED_AS_NOT_SERVED.has(event.kind),
        }).toEqual({ fn: fn.name, kind: event.kind, known: true });
      }
    }
  });

  it('feeds the normalizer from the stage normalize queue with its DLQ, and lands from the stage buckets', () => {
    const sqs = wiring.functions.flatMap((f) => f.events).filter((e) => e.kind === 'sqs');
    expect(sqs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          queueName: 'pulse-lake-local-normalize',
          redrive: expect.objectContaining({ deadLetterQueue: 'pulse-lake-local-normalize-dlq' }),
        }),
      ]),
    );
    const buckets = wiring.functions.flatMap((f) => f.events).flatMap((e) => (e.kind === 's3' ? [e.bucket] : []));
    expect(buckets.sort()).toEqual(['pulse-lake-local-dropzone', 'pulse-lake-local-raw']);
  });
});
