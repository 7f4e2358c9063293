/** The EventBus contract on the in-process bus (event-bus.contract.ts). */
import { buildLocalEventBus } from '../../src/adapters/local/event-bus';
import type { LakeEvent } from '../../src/ports';
import { eventBusContract } from './event-bus.contract';

describe('EventBus contract: in process', () => {
  eventBusContract(async () => {
    const bus = buildLocalEventBus();
    const received: LakeEvent[] = [];
    bus.addRule({
      name: 'everything',
      pattern: { source: [{ prefix: '' }] },
      target: (event) =>
        void received.push({ source: event.source, detailType: event['detail-type'], detail: event.detail }),
    });
    return {
      bus,
      delivered: async () => {
        await bus.idle();
        return received;
      },
    };
  });
});
