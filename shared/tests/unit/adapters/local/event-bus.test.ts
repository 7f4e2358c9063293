import type { BusEvent } from '../../../../src/adapters/local/event-bus';
import { buildLocalEventBus, matchesPattern } from '../../../../src/adapters/local/event-bus';

describe('local EventBridge', () => {
  it('delivers EventBridge-shaped events to rules whose source and detail-type match', async () => {
    // Prepare
    const bus = buildLocalEventBus({
      region: 'ap-southeast-1',
      account: '123456789012',
      now: () => new Date('2024-05-01T08:00:00.250Z'),
    });
    const received: BusEvent[] = [];
    const other: BusEvent[] = [];
    bus.addRule({
      name: 'register',
      pattern: { source: ['pulse-lake'], 'detail-type': ['Partitions Written'] },
      target: (e) => void received.push(e),
    });
    bus.addRule({ name: 'other', pattern: { source: ['somebody-else'] }, target: (e) => void other.push(e) });

    // Act
    await bus.publish([{ source: 'pulse-lake', detailType: 'Partitions Written', detail: { dataset: 'vitals' } }]);
    expect(received).toHaveLength(0); // delivery is asynchronous, as in EventBridge
    await bus.idle();

    // Assess
    expect(other).toHaveLength(0);
    expect(received).toEqual([
      {
        version: '0',
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        'detail-type': 'Partitions Written',
        source: 'pulse-lake',
        account: '123456789012',
        time: '2024-05-01T08:00:00Z',
        region: 'ap-southeast-1',
        resources: [],
        detail: { dataset: 'vitals' },
      },
    ]);
  });

  it('retries a failing target and then reports the failure', async () => {
    const errors: unknown[] = [];
    const bus = buildLocalEventBus({ retryAttempts: 2, retryDelayMs: 1, onError: (e) => errors.push(e) });
    let calls = 0;
    bus.addRule({
      name: 'flaky',
      pattern: { source: ['s'] },
      target: () => {
        calls += 1;
        throw new Error('catalog unavailable');
      },
    });

    await bus.publish([{ source: 's', detailType: 'd', detail: {} }]);
    await bus.idle();

    expect(calls).toBe(3);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(
      /rule flaky failed to handle a "d" event after 3 attempts: Error: catalog unavailable/,
    );
  });

  it('matches nested detail patterns, prefixes, anything-but and exists', () => {
    const event = {
      source: 'pulse-lake',
      'detail-type': 'X',
      detail: { dataset: 'vitals', stage: 'curated', tags: ['a', 'b'] },
    };
    expect(matchesPattern({ detail: { dataset: ['vitals', 'ecg'] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { dataset: [{ prefix: 'vit' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { stage: [{ 'anything-but': ['staging'] }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { stage: [{ 'anything-but': ['curated'] }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { tags: ['b'] } }, event)).toBe(true);
    expect(matchesPattern({ source: ['other'], detail: { dataset: ['vitals'] } }, event)).toBe(false);
  });
});
