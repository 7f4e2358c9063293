/** The EventBus contract on the EventBridge adapter, over fakes/eventbridge.ts (event-bus.contract.ts). */
import { buildEventBridgeBus } from '../../src/adapters/aws/eventbridge-bus';
import { eventBusContract } from './event-bus.contract';
import { fakeEventBridge, type PutEvent } from './fakes/eventbridge';

describe('EventBus contract: EventBridge', () => {
  eventBusContract(async () => {
    const received: PutEvent[] = [];
    return { bus: buildEventBridgeBus(fakeEventBridge(received)), delivered: async () => received };
  });
});
