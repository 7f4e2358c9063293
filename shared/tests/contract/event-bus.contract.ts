/**
 * What every EventBus does: run by event-bus.local.test.ts (the in-process bus,
 * observed through a rule matching every event) and event-bus.aws.test.ts
 * (EventBridge over fakes/eventbridge.ts, observed in the PutEvents entries).
 */
import type { EventBus, LakeEvent } from '../../src/ports';

export interface EventBusSubject {
  bus: EventBus;
  /** Every event a rule matching all events received so far, in publishing order. */
  delivered(): Promise<LakeEvent[]>;
}

const announced = (i: number): LakeEvent => ({
  source: 'pulse-lake.normalize',
  detailType: 'PartitionsWritten',
  detail: { dataset: 'vitals', partitions: [{ site: 'SG', dt: `2024-01-${String(i + 1).padStart(2, '0')}` }] },
});

/** Defines the EventBus contract; `open` gives a fresh subject per test. */
export function eventBusContract(open: () => Promise<EventBusSubject>): void {
  let subject: EventBusSubject;
  beforeEach(async () => {
    subject = await open();
  });

  it('delivers every event with its source, detail type and detail, in order, however many are published', async () => {
    const events = Array.from({ length: 25 }, (_, i) => announced(i));

    await subject.bus.publish(events);

    expect(await subject.delivered()).toEqual(events);
  });

  it('carries the detail as JSON: a date arrives as its ISO text, an undefined field not at all', async () => {
    await subject.bus.publish([
      {
        source: 'pulse-lake.ingest',
        detailType: 'ObjectLanded',
        detail: { at: new Date('2024-05-01T10:00:00.000Z'), skipped: undefined },
      },
    ]);

    expect((await subject.delivered()).map((e) => e.detail)).toEqual([{ at: '2024-05-01T10:00:00.000Z' }]);
  });

  it('takes publishing no events as nothing to do', async () => {
    await subject.bus.publish([]);

    expect(await subject.delivered()).toEqual([]);
  });
}
