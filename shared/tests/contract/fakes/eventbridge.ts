/**
 * Amazon EventBridge as `aws-sdk-client-mock` plays it for the contract suites:
 * PutEvents takes at most 10 entries (ValidationException otherwise), each with a
 * JSON Detail, and answers entry by entry in request order.
 */
import {
  EventBridgeClient,
  EventBridgeServiceException,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';

/** An event as a rule's target receives it. */
export interface PutEvent {
  source: string;
  detailType: string;
  detail: unknown;
}

/** Mocks every EventBridgeClient of this test file; each event put is appended to `received`. */
export function fakeEventBridge(received: PutEvent[]): EventBridgeClient {
  const mock = mockClient(EventBridgeClient);
  mock.on(PutEventsCommand).callsFake(async (input) => {
    const entries: PutEventsRequestEntry[] = input.Entries ?? [];
    if (entries.length < 1 || entries.length > 10)
      throw new EventBridgeServiceException({
        name: 'ValidationException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: `PutEvents takes 1 to 10 entries, not ${entries.length}`,
      });
    for (const entry of entries)
      received.push({
        source: entry.Source ?? '',
        detailType: entry.DetailType ?? '',
        detail: JSON.parse(entry.Detail ?? '{}') as unknown,
      });
    return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `event-${i}` })) };
  });
  return new EventBridgeClient({
    region: 'ap-southeast-1',
    credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' },
  });
}
